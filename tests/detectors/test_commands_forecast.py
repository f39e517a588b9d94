"""The standalone ``relicboost forecast`` command module (relicboost.commands_forecast)."""
import argparse
import json

import pytest

from relicboost import commands_forecast as cf


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="relicboost")
    cf.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["forecast", *argv])
    rc = args.func(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_json_names_null_and_test_for_both_conventions(capsys):
    rc, out, _ = _run(["--likelihood", "juno", "--years", "20", "--json", "--n-scan", "9"], capsys)
    assert rc == 0
    d = json.loads(out)
    assert [f["convention"] for f in d["forecasts"]] == ["paper", "consistent"]
    for f in d["forecasts"]:
        assert "lam = 0" in f["null"] and "Poisson deviance" in f["statistic"]
        assert f["lam_upper_median_MeV-3"] > 0
    assert {f["effect"] for f in d["forecasts"]} == {"net excess", "net deficit"}


def test_resnova_table_mode_is_the_old_command(capsys):
    rc, out, _ = _run(["--lam", "1e-10", "--exposure-ton-yr", "465"], capsys)
    assert rc == 0 and "RES-NOVA FORECAST" in out and "Z_discovery_median" in out


@pytest.mark.parametrize("argv", [["--likelihood", "juno", "--years", "-1"],
                                  ["--likelihood", "dune", "--mode", "table"],
                                  ["--likelihood", "juno", "--log10-lam-range", "-14"],
                                  ["--likelihood", "juno", "--profile", "mass"],
                                  ["--lam", "abc"]])
def test_errors_are_one_line_exit_2(argv, capsys):
    rc, out, err = _run(argv, capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("relicboost forecast: error:")
