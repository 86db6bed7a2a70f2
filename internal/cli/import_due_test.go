package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"hindsight/internal/incident"
	"hindsight/internal/store"
)

// HINDSIGHT_TASK_DUE sets the default due dates of the tasks `hindsight
// import` creates, as it does for those of serve's API; import gave the
// built-in 14/30/60/90 days.
func TestImportUsesTaskDuePolicy(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	doc := filepath.Join("..", "..", "..", "shared", "fixtures", "postmortems", "api-cache-outage.md")
	var out, errb strings.Builder
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "HINDSIGHT_TASK_DUE" {
			return "SEV1=none,SEV2=none,SEV3=none,SEV4=none"
		}
		return ""
	}}
	if code := Main(context.Background(), env, []string{"import", "--db", db, doc}); code != 0 {
		t.Fatalf("import: %d %s", code, errb.String())
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tasks, err := st.ListTasks(context.Background(), incident.TaskFilter{})
	if err != nil || len(tasks) == 0 {
		t.Fatalf("%d tasks, %v", len(tasks), err)
	}
	for _, tk := range tasks {
		if tk.DueAt != nil && !tk.Status.Finished() {
			t.Errorf("task %q got due date %s although HINDSIGHT_TASK_DUE turns default due dates off", tk.Title, tk.DueAt.Format("2006-01-02"))
		}
	}
}
