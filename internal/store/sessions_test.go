package store_test

import (
	"sync"
	"testing"
	"time"

	"hindsight/internal/incident"
	"hindsight/internal/store"
	"hindsight/internal/store/storetest"
)

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		u, err := s.CreateUser(ctx, "Ana@Example.com", incident.RoleEditor, "hash")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OK", func(t *testing.T) {
			secret, err := s.CreateSession(ctx, u.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := s.SessionBySecret(ctx, secret)
			if err != nil || sess.User.Email != "ana@example.com" || sess.User.Role != incident.RoleEditor {
				t.Fatalf("%+v %v", sess, err)
			}
			if err := s.SetFlash(ctx, secret, "Saved"); err != nil {
				t.Fatal(err)
			}
			if sess, _ = s.SessionBySecret(ctx, secret); sess.Flash != "Saved" {
				t.Fatalf("flash %q", sess.Flash)
			}
			if err := s.DeleteSession(ctx, secret); err != nil {
				t.Fatal(err)
			}
			_, err = s.SessionBySecret(ctx, secret)
			wantCode(t, err, incident.EUNAUTHORIZED, "")
		})
		t.Run("ErrExpired", func(t *testing.T) {
			secret, _ := s.CreateSession(ctx, u.ID, time.Hour)
			defer func() { s.Now = time.Now }()
			s.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			_, err := s.SessionBySecret(ctx, secret)
			wantCode(t, err, incident.EUNAUTHORIZED, "")
			s.Now = time.Now
			if err := s.ExtendSession(ctx, secret, time.Now().Add(3*time.Hour)); err != nil {
				t.Fatal(err)
			}
			s.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
			if _, err := s.SessionBySecret(ctx, secret); err != nil {
				t.Fatalf("extended session: %v", err)
			}
		})
		t.Run("ErrUnknown", func(t *testing.T) {
			_, err := s.SessionBySecret(ctx, "nonsense")
			wantCode(t, err, incident.EUNAUTHORIZED, "")
		})
	})
}

func TestLoginAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		now := time.Now()
		s.Now = func() time.Time { return now }
		for i := 1; i <= 6; i++ {
			n, err := s.CountLoginAttempt(ctx, "ana@example.com", 5*time.Minute)
			if err != nil || n != i {
				t.Fatalf("attempt %d counted %d, %v", i, n, err)
			}
		}
		if n, _ := s.CountLoginAttempt(ctx, " ANA@example.com", 5*time.Minute); n != 7 {
			t.Fatalf("emails are counted case-insensitively: %d", n)
		}
		now = now.Add(6 * time.Minute)
		if n, _ := s.CountLoginAttempt(ctx, "ana@example.com", 5*time.Minute); n != 1 {
			t.Fatalf("a new window starts at 1, got %d", n)
		}
		if err := s.ClearLoginAttempts(ctx, "ana@example.com"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountLoginAttempt(ctx, "ana@example.com", 5*time.Minute); n != 1 {
			t.Fatalf("after clearing: %d", n)
		}
		t.Run("Concurrent", func(t *testing.T) {
			var wg sync.WaitGroup
			seen := make(chan int, 20)
			for range 20 {
				wg.Go(func() {
					n, err := s.CountLoginAttempt(ctx, "bob@example.com", 5*time.Minute)
					if err != nil {
						t.Error(err)
					}
					seen <- n
				})
			}
			wg.Wait()
			close(seen)
			got := map[int]bool{}
			for n := range seen {
				if got[n] {
					t.Fatalf("count %d given twice", n)
				}
				got[n] = true
			}
		})
	})
}

func TestSetupToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		secret, err := s.CreateSetupToken(ctx, time.Hour)
		if err != nil || secret == "" {
			t.Fatalf("%q %v", secret, err)
		}
		if err := s.CheckSetupToken(ctx, secret); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.CheckSetupToken(ctx, "guess"), incident.ENOTFOUND, "")
		_, err = s.CreateFirstAdmin(ctx, "guess", "root@example.com", "hash")
		wantCode(t, err, incident.ENOTFOUND, "")
		u, err := s.CreateFirstAdmin(ctx, secret, "root@example.com", "hash")
		if err != nil || u.Role != incident.RoleAdmin {
			t.Fatalf("%+v %v", u, err)
		}
		_, err = s.CreateFirstAdmin(ctx, secret, "second@example.com", "hash")
		wantCode(t, err, incident.ENOTFOUND, "")
		if again, err := s.CreateSetupToken(ctx, time.Hour); err != nil || again != "" {
			t.Fatalf("a set-up link once a user exists: %q %v", again, err)
		}
		t.Run("ErrLastAdmin", func(t *testing.T) {
			wantCode(t, s.SetUserRole(ctx, u.ID, incident.RoleViewer), incident.EUNPROCESSABLE, "role")
			other, _ := s.CreateUser(ctx, "other@example.com", incident.RoleViewer, "hash")
			if err := s.SetUserRole(ctx, other.ID, incident.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			if err := s.SetUserRole(ctx, u.ID, incident.RoleEditor); err != nil {
				t.Fatal(err)
			}
			users, _ := s.ListUsers(ctx)
			if len(users) != 2 || users[0].Email != "other@example.com" || users[1].Role != incident.RoleEditor {
				t.Fatalf("%+v", users)
			}
		})
	})
}
