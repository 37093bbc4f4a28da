package explorer

// TurnsForTest is how many requests hold a running turn and how many wait
// for one.
func (s *Server) TurnsForTest() (running, waiting int) { return s.turns.Running(), s.turns.Waiting() }
