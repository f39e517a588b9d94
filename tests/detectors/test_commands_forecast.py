"""``relicboost forecast``: detector limits mode (both conventions, null and test named) and the RES-NOVA table."""
import json

import pytest

from relicboost.cli import main


def test_json_names_null_and_test_for_both_conventions(capsys):
    rc = main(["forecast", "--likelihood", "juno", "--years", "20", "--json", "--n-scan", "9"])
    out = capsys.readouterr().out
    assert rc == 0
    d = json.loads(out)
    assert [f["convention"] for f in d["forecasts"]] == ["paper", "consistent"]
    for f in d["forecasts"]:
        assert "lam = 0" in f["null"] and "Poisson deviance" in f["statistic"]
        assert f["lam_upper_median_MeV-3"] > 0
    assert {f["effect"] for f in d["forecasts"]} == {"net excess", "net deficit"}


def test_resnova_table_mode_is_the_default(capsys):
    rc = main(["forecast", "--lam", "1e-10", "--exposure-ton-yr", "465"])
    out = capsys.readouterr().out
    assert rc == 0 and "RES-NOVA FORECAST" in out and "Z_discovery_median" in out


@pytest.mark.parametrize("argv", [["--likelihood", "juno", "--years", "-1"],
                                  ["--likelihood", "dune", "--mode", "table"],
                                  ["--likelihood", "juno", "--log10-lam-min", "-5", "--log10-lam-max", "-8"],
                                  ["--likelihood", "juno", "--profile", "mass"],
                                  ["--likelihood", "juno", "--efficiency", "1.5"],
                                  ["--lam", "abc"]])
def test_errors_are_one_line_exit_2(argv, capsys):
    rc = main(["forecast", *argv])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("relicboost forecast: error:")
