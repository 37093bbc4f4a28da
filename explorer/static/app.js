// powchain explorer: live updates. The page subscribes to the node's
// server-sent events and, when a block arrives (or a transaction, on pages
// that show the mempool), fetches its own URL again and swaps the new
// content in: the server renders every page, this script only refreshes.
"use strict";
(function () {
  const live = document.getElementById("live");
  let pending = null;
  let refreshes = 0;

  function pageKind() {
    const el = document.querySelector("#main [data-page]");
    return el ? el.dataset.page : "";
  }

  function refresh() {
    pending = null;
    fetch(location.href, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        const doc = new DOMParser().parseFromString(html, "text/html");
        const fresh = doc.getElementById("main");
        const tip = doc.getElementById("tip-height");
        if (!fresh) return;
        document.getElementById("main").replaceWith(fresh);
        if (tip) document.getElementById("tip-height").textContent = tip.textContent;
        refreshes++;
        document.body.dataset.refreshes = String(refreshes);
      })
      .catch(function () { /* the next event tries again */ });
  }

  function soon() {
    if (pending === null) pending = setTimeout(refresh, 300);
  }

  if (!window.EventSource) return;
  const events = new EventSource("/events");
  events.addEventListener("open", function () {
    live.textContent = "live";
    document.body.dataset.live = "1";
  });
  events.addEventListener("error", function () { live.textContent = "reconnecting…"; });
  // A page left behind must not keep its stream: browsers allow only a
  // few connections per server, and a page kept for the back button
  // would hold one.
  window.addEventListener("pagehide", function () { events.close(); });
  window.addEventListener("pageshow", function (e) { if (e.persisted) location.reload(); });
  events.addEventListener("block", soon);
  events.addEventListener("reorg", soon);
  events.addEventListener("tx", function () {
    const kind = pageKind();
    const waiting = document.querySelector("#main [data-mempool='true']");
    if (kind === "home" || kind === "mempool" || kind === "address" || waiting) soon();
  });
})();
