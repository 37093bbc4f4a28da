// Command powchain is the one binary of powchain: a full node
// (`powchain node run`), a JSON-RPC client (`powchain rpc`), a wallet
// (`powchain wallet ...`) and a miner (`powchain miner start`).
//
// Every flag can also be given as an environment variable POWCHAIN_<FLAG>
// (upper case, dashes as underscores) or as a key of the config file
// (TOML; --config, default <datadir>/powchain.toml when it exists).
// Precedence: flag > environment > config file > default.
//
// Flags come before arguments: the flags after an argument are not read,
// so a command that takes no arguments (all but rpc and help) refuses one
// instead of running without the flags that follow it.
package main
