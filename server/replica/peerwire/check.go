package peerwire

import (
	"fmt"

	"github.com/pegasus-go/pegasus/server/pacifica"
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/admin"
)

// check holds a message to what a correct peer sends, on both sides of the
// wire: Encode refuses what Decode would, so a bad message fails at its
// sender.
func check(e Envelope) error {
	m := &e.Msg
	if err := checkGpid(m.Pid); err != nil {
		return err
	}
	if !usable(m.From) {
		return fmt.Errorf("from %v: not an IPv4 endpoint", m.From)
	}
	if !usable(m.To) {
		return fmt.Errorf("to %v: not an IPv4 endpoint", m.To)
	}
	if m.Err != "" && !m.Err.Known() {
		return fmt.Errorf("unknown error code %q", m.Err)
	}
	if !configIsZero(m.Config) {
		if err := checkConfig(m.Config); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if m.Config.Pid != m.Pid {
			return fmt.Errorf("config of %v in a message about %v", &m.Config.Pid, &m.Pid)
		}
	}
	if m.ReceiverStatus != 0 && (m.ReceiverStatus < admin.PartitionStatus_PS_INACTIVE ||
		m.ReceiverStatus > admin.PartitionStatus_PS_PARTITION_SPLIT) {
		return fmt.Errorf("receiver status %d out of range", m.ReceiverStatus)
	}
	if m.Learner < pacifica.LearnNone || m.Learner > pacifica.LearnSucceeded {
		return fmt.Errorf("learn phase %d out of range", m.Learner)
	}
	for _, v := range []struct {
		what string
		v    int64
	}{
		{"ballot", m.Ballot}, {"decree", m.Decree}, {"ack ballot", m.AckBallot}, {"committed", m.Committed},
		{"prepare start", m.PrepareStart}, {"copy from", m.CopyFrom}, {"copy to", m.CopyTo},
	} {
		if v.v < 0 {
			return fmt.Errorf("negative %s %d", v.what, v.v)
		}
	}
	if err := checkMutation(m.Mutation); err != nil {
		return fmt.Errorf("mutation: %w", err)
	}
	for i, mu := range m.Entries {
		if err := checkMutation(mu); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	if e.SplitPartitionCount < 0 || e.SplitChildDecree < 0 {
		return fmt.Errorf("negative split field (count %d, child decree %d)", e.SplitPartitionCount, e.SplitChildDecree)
	}
	if e.App != nil && e.App.AppID != m.Pid.Appid {
		return fmt.Errorf("app_info of table %d in a message about %v", e.App.AppID, &m.Pid)
	}
	return nil
}

// checkGpid accepts a partition of a real table: table ids start at 1.
func checkGpid(g base.Gpid) error {
	if g.Appid <= 0 || g.PartitionIndex < 0 {
		return fmt.Errorf("invalid gpid %v", &g)
	}
	return nil
}

func checkConfig(c pacifica.Config) error {
	if err := checkGpid(c.Pid); err != nil {
		return err
	}
	if c.Ballot < 0 || c.MaxReplicaCount < 0 {
		return fmt.Errorf("ballot %d, max replica count %d", c.Ballot, c.MaxReplicaCount)
	}
	if c.Primary.IsValid() && !usable(c.Primary) {
		return fmt.Errorf("primary %v: not an IPv4 endpoint", c.Primary)
	}
	for _, s := range c.Secondaries {
		if !usable(s) {
			return fmt.Errorf("secondary %v: not an IPv4 endpoint", s)
		}
	}
	return nil
}

func checkMutation(m pacifica.Mutation) error {
	if m.Ballot < 0 || m.Decree < 0 || m.LastCommitted < 0 || m.TimestampUs < 0 {
		return fmt.Errorf("negative ballot, decree, commit point or timestamp (%d, %d, %d, %d)",
			m.Ballot, m.Decree, m.LastCommitted, m.TimestampUs)
	}
	return nil
}
