from __future__ import annotations

import pandas as pd
import pytest

from callnlp.errors import OptionError
from callnlp.export import write_table

FRAME = pd.DataFrame({"company": ["Acme", "景泓新能源"], "hedging_qa": [2.5, None]})


@pytest.mark.parametrize("name", ["signals.csv", "signals.parquet"])
def test_export_round_trips(tmp_path, name: str) -> None:
    path = tmp_path / name
    write_table(FRAME, path)
    back = pd.read_csv(path) if name.endswith(".csv") else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, FRAME)


def test_export_unknown_format(tmp_path) -> None:
    with pytest.raises(OptionError, match=r"unknown table format '.xlsx'; use one of .csv, .parquet"):
        write_table(FRAME, tmp_path / "signals.xlsx")
