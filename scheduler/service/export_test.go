package service

import "context"

// RunTimers runs one round of the service's timers (what each tick
// decides) as a job of the service goroutine and returns once its effects
// are carried out. Tests that must show that something does not happen
// before a time call it after moving the clock, instead of waiting for
// real ticks.
func (s *Service) RunTimers(ctx context.Context) error {
	return s.submit(ctx, "timers", s.tick)
}
