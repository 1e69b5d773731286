"""Write ``src/leadflow/replies/data/intent_model.npz``: the shipped reply-intent model, learnt
from the whole labelled set (``replies.csv``) with scikit-learn and saved as plain arrays that
the package reads with numpy alone (``leadflow.replies.linear``).

Run it after changing the labelled set, the features or the classifier; it checks that the
saved arrays read every labelled and hand-written reply as the fitted pipeline does.

    python scripts/make_intent_model.py        # rewrites the file, prints its size and checks
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from leadflow.replies.linear import SHIPPED, LinearIntentModel  # noqa: E402
from leadflow.replies.model import IntentModel, load  # noqa: E402

TARGET = ROOT / "src" / "leadflow" / "replies" / "data" / SHIPPED


def main() -> None:
    examples = load()
    fitted = IntentModel(examples)
    fitted.arrays().save(TARGET)
    saved = LinearIntentModel.read(TARGET)
    texts = [e.text for e in examples + load("holdout.csv")]
    expected, found = fitted.predict(texts), saved.predict(texts)
    if [i for i, _ in expected] != [i for i, _ in found] or not np.allclose(
        [p for _, p in expected], [p for _, p in found], rtol=0, atol=1e-9
    ):
        raise SystemExit("the saved arrays do not read the replies as the fitted model does")
    width = len(saved.words.terms) + len(saved.chars.terms)
    print(
        f"{TARGET.relative_to(ROOT)}: {TARGET.stat().st_size} bytes; {len(examples)} replies, "
        f"{len(saved.words.terms)} word and {len(saved.chars.terms)} character terms, "
        f"{len(saved.classes)} x {width} coefficients; {len(texts)} replies read alike"
    )


if __name__ == "__main__":
    main()
