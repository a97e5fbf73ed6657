package meta

// BalanceView is what the balancer would do now and what it is doing: the
// moves under way and, per table, the moves it would plan at fl_lively
// (remote command meta.lb.plan, shell balance_plan).
type BalanceView struct {
	Level    string              `json:"meta_function_level"`
	UnderWay []string            `json:"moves_under_way"`
	Planned  map[string][]string `json:"planned_by_table"`
}

// BalanceView reads the balancer's state; it changes nothing.
func (s *Server) BalanceView() (BalanceView, error) {
	v := BalanceView{UnderWay: []string{}, Planned: map[string][]string{}}
	err := s.read(func(st *State) {
		v.Level = levelName(st.Level())
		for _, m := range st.Moves() {
			v.UnderWay = append(v.UnderWay, m.String())
		}
		for _, id := range st.tableIDs() {
			t := st.tables[id]
			if !t.app.Available() {
				continue
			}
			moves := st.PlanBalance(id)
			plan := make([]string, 0, len(moves))
			for _, m := range moves {
				plan = append(plan, m.String())
			}
			v.Planned[t.app.Name] = plan
		}
	})
	return v, err
}
