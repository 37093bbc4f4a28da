package explorer

// TurnsForTest is how many requests hold a running turn and how many wait
// for one.
func (s *Server) TurnsForTest() (running, waiting int) { return s.turns.Running(), s.turns.Waiting() }

// ConnsForTest is how many connections are open and how many of them are
// idle between requests.
func (s *Server) ConnsForTest() (open, idle int) { return s.conns.Open(), s.conns.Idle() }
