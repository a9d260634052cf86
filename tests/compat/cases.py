"""The compat flows and the command-line arguments each is run with.

One table for the recorder (``record_expected.py``, run under Metaflow) and the
tests (run under sfncompile), so both run exactly the same thing.
"""
from __future__ import annotations

import os
from typing import Dict, NamedTuple, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWS = os.path.join(HERE, "flows")
EXPECTED = os.path.join(HERE, "expected.json")


class Case(NamedTuple):
    args: Tuple[str, ...] = ()
    slow: bool = False  # many tasks or heavy imports (pandas, scikit-learn) in every task


CASES: Dict[str, Case] = {
    # tutorial shapes
    "hello_world": Case(),
    "parameters_basic": Case(("--alpha", "0.5", "--label", "tuned")),
    "json_parameters": Case(("--sizes", "[2, 4, 6]")),
    "include_file": Case(),
    "playlist": Case(("--genre", "Comedy", "--size", "3")),
    "playlist_inplace": Case(),
    "film_statistics": Case(slow=True),
    "catch_retry": Case(),
    "switch_basic": Case(("--size", "5")),
    "dashed_parameter": Case(("--test-size", "0.3")),
    "separator_parameter": Case(("--regions", "eu,ap,us")),
    "current_info": Case(),
    "artifact_types": Case(),
    # core graph shapes
    "linear": Case(),
    "branch_merge": Case(),
    "merge_include": Case(),
    "nested_branches": Case(),
    "foreach_basic": Case(),
    "small_foreach": Case(),
    "nested_foreach": Case(slow=True),
    "foreach_stack": Case(),
    "foreach_in_branch": Case(),
    "branch_in_foreach": Case(),
    "wide_foreach": Case(slow=True),
    "large_join": Case(),
    "mutate_branches": Case(),
    # scikit-learn / pandas on small local data
    "pandas_cleaning": Case(slow=True),
    "pandas_foreach": Case(slow=True),
    "iris_classifier": Case(slow=True),
    "model_comparison": Case(slow=True),
    "regression_grid": Case(slow=True),
}


def flow_file(name: str) -> str:
    return os.path.join(FLOWS, name + ".py")
