package shell

import (
	"fmt"
	"io"
	"strings"

	"github.com/pegasus-go/pegasus/admin"
)

// Exit statuses of doctor, Nagios-style: 0 healthy (info findings at
// most), 1 warnings, 2 critical; 3 (unreachable) as every command.
const (
	exitDoctorWarning  = 1
	exitDoctorCritical = 2
)

func init() {
	register(&Command{Name: "doctor", Group: "cluster", Summary: "check the cluster's health and suggest fixes", JSON: true, Output: true,
		Help: "Checks the cluster and prints each finding with its severity and a suggested command:\n" +
			"replica servers down and partitions without a primary (critical); partitions with fewer\n" +
			"members than max_replica_count, a meta level other than steady/lively, replicas learning\n" +
			"for long, mutation logs that cannot be collected and clocks apart (warning); dropped\n" +
			"tables expiring within 24 h, unbalanced primaries or replicas, recently restarted nodes\n" +
			"and servers whose /metrics did not answer (info). Checks that need a metric the servers\n" +
			"do not expose are listed as skipped.\n" +
			"Exit status: 0 healthy (info only), 1 warnings, 2 critical, 3 unreachable.\n" +
			"JSON: {\"status\": \"healthy|warning|critical\", \"findings\": [{severity, check, subject,\n" +
			"message, suggestion}], \"skipped\": [{check, reason}]}.",
		Run: runDoctor})
}

type doctorJSON struct {
	Status   string          `json:"status"`
	Findings []admin.Finding `json:"findings"`
	Skipped  []admin.Skipped `json:"skipped"`
}

func runDoctor(c *Call) error {
	ctx, cancel := c.adminCtx()
	defer cancel()
	rep, err := c.s.admin.Doctor(ctx)
	if err != nil {
		return failf(err, "doctor failed, error=%s", describe(err))
	}
	status := admin.Status(rep.Findings)
	if err := c.Emit(doctorJSON{Status: status.String(), Findings: rep.Findings, Skipped: rep.Skipped}, func(w io.Writer) {
		printFindings(w, status, rep)
	}); err != nil {
		return err
	}
	switch status {
	case admin.Critical:
		return &failure{msg: "doctor: cluster status is critical", code: exitDoctorCritical}
	case admin.Warning:
		return &failure{msg: "doctor: cluster status is warning", code: exitDoctorWarning}
	}
	return nil
}

func printFindings(w io.Writer, status admin.Severity, rep admin.Report) {
	counts := map[admin.Severity]int{}
	for _, f := range rep.Findings {
		counts[f.Severity]++
		fmt.Fprintf(w, "%-8s  %s  %s: %s\n", strings.ToUpper(f.Severity.String()), f.Check, f.Subject, f.Message)
		fmt.Fprintf(w, "          suggestion: %s\n", f.Suggestion)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped   %s: %s\n", s.Check, s.Reason)
	}
	fmt.Fprintf(w, "status: %s (%d critical, %d warning, %d info)\n",
		status, counts[admin.Critical], counts[admin.Warning], counts[admin.Info])
}
