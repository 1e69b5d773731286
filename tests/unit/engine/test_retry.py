import random

from leadflow.engine.retry import RetryPolicy


def test_backoff_grows_exponentially_and_caps() -> None:
    policy = RetryPolicy(max_attempts=10, base_s=30, factor=2, max_delay_s=300, jitter=0)
    rng = random.Random(1)
    delays = [policy.decide(n, True, rng).delay_s for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]


def test_stops_at_max_attempts_and_on_permanent_errors() -> None:
    policy = RetryPolicy(max_attempts=3)
    rng = random.Random(1)
    assert policy.decide(2, True, rng).retry
    assert not policy.decide(3, True, rng).retry
    assert not policy.decide(1, False, rng).retry


def test_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(max_attempts=99, base_s=100, factor=1, jitter=0.2)
    rng = random.Random(5)
    delays = [policy.decide(1, True, rng).delay_s for _ in range(500)]
    assert min(delays) >= 80 and max(delays) <= 120
    assert max(delays) - min(delays) > 20  # it really varies
