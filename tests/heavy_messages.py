"""Messages that cost the NLU the most for their length, and an emergency to
send meanwhile (tests/test_emergency_priority.py, evaluation/emergency_benchmark.py)."""
import random

EMERGENCY = "I suddenly have crushing chest pain"
GUIDANCE = "This may be an emergency. Please call 911 now"  # settings/clinic.yml's number


def heavy_message(seed: int, chars: int = 2000) -> str:
    """CJK characters and emoji: each one costs the NLU a token."""
    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x4E00, 0x9FFF)) if rng.random() < 0.5
                   else chr(rng.randint(0x1F600, 0x1F64F)) for _ in range(chars))
