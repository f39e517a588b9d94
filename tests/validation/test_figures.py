"""Figs. 2 and 3 of arXiv:2204.11885 as written by relicboost.results.fig2_3: files exist and their CSV data
show what the paper's captions and Sec. IV-V text describe."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relicboost.results.fig2_3 import make_fig2, make_fig3, sk_window_table


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, comment="#")


@pytest.fixture(scope="module")
def outdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("figs")
    paths = make_fig2(d) + make_fig3(d) + [sk_window_table(d)]
    return d, paths


def test_files_written_atomically(outdir):
    d, paths = outdir
    names = {p.name for p in paths}
    for stem in ("fig2_flux_vs_energy", "fig3_sk_window_vs_lam"):
        assert {f"{stem}.png", f"{stem}.pdf", f"{stem}.csv"} <= names
    assert "sk_window_fluxes.csv" in names
    for p in paths:
        assert p.is_file() and p.stat().st_size > 0
    assert next(p for p in paths if p.suffix == ".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert next(p for p in paths if p.suffix == ".pdf").read_bytes()[:5] == b"%PDF-"
    assert not [p for p in d.iterdir() if p.name.startswith(".")]  # no temporary files left behind


def test_fig2_csv_physics(outdir):
    """Fig. 2 / Sec. IV: boosted flux flat at low E, rising with lam; the standard DSNB ~ E^2 at low E;
    boosted > DSNB band above 1 MeV at lam = 1e-9."""
    df = read(outdir[0] / "fig2_flux_vs_energy.csv")
    assert all("MeV" in c for c in df.columns)
    e = df["energy_MeV"].to_numpy()
    low = (e >= 0.01) & (e <= 0.2)
    prev = None
    for lam in ("1e-12", "1e-11", "1e-10", "1e-09"):
        b = df[f"nuebar_boosted_lam{lam}_flux_cm-2_s-1_MeV-1"].to_numpy()
        assert b[low].max() / b[low].min() < 1.01
        if prev is not None:
            assert np.all(b[e < 50] > prev[e < 50])
        prev = b
    lo, hi = df["dsnb_band_min_flux_cm-2_s-1_MeV-1"].to_numpy(), df["dsnb_band_max_flux_cm-2_s-1_MeV-1"].to_numpy()
    assert np.all(lo <= hi)
    d7 = df["dsnb_standard_Tnuebar7MeV_flux_cm-2_s-1_MeV-1"].to_numpy()
    slope = np.polyfit(np.log(e[low]), np.log(d7[low]), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.1)
    sel = (e >= 1) & (e <= 80)
    assert np.all(prev[sel] > hi[sel])
    tot = df["nuebar_total_lam1e-09_flux_cm-2_s-1_MeV-1"] - df["nuebar_dsnb_lam1e-09_flux_cm-2_s-1_MeV-1"]
    np.testing.assert_allclose(tot, prev, rtol=1e-6)


def test_fig2_limits_from_data(outdir):
    """SK-IV bins 9.3-31.3 MeV (2 MeV) and Borexino bins 1.8-16.8 MeV (1 MeV), as shipped in relicboost.data."""
    lim = read(outdir[0] / "fig2_limits.csv")
    sk = lim[lim["experiment"] == "sk4_binned_limits"]
    bx = lim[lim["experiment"] == "borexino_binned_limits"]
    assert len(sk) == 11
    assert sk["E_low_MeV"].min() == pytest.approx(9.3) and sk["E_high_MeV"].max() == pytest.approx(31.3)
    assert len(bx) == 15 and bx["E_low_MeV"].min() == pytest.approx(1.8)


def test_fig3_csv_physics(outdir):
    """Fig. 3 / Sec. V: solid = total rises with lam and crosses 2.7 near 1e-11 for T = 7/10 MeV only;
    dashed (boosted) grows ~linearly at small lam; total = dsnb + boosted."""
    path = outdir[0] / "fig3_sk_window_vs_lam.csv"
    df = read(path)
    lam = df["lam_MeV-3"].to_numpy()
    assert lam[0] == pytest.approx(1e-12) and lam[-1] == pytest.approx(1e-9)
    for tag in ("T6.6_7_10MeV", "T6.6_6_7MeV"):
        tot = df[f"total_{tag}_flux_above17.3MeV_cm-2_s-1"].to_numpy()
        b = df[f"boosted_{tag}_flux_above17.3MeV_cm-2_s-1"].to_numpy()
        d = df[f"dsnb_{tag}_flux_above17.3MeV_cm-2_s-1"].to_numpy()
        np.testing.assert_allclose(tot, b + d, rtol=1e-5)
        assert np.all(np.diff(tot) > 0) and np.all(b < tot)
        assert b[1] / b[0] == pytest.approx(lam[1] / lam[0], rel=0.02)  # linear response at 1e-12
    hot = df["total_T6.6_7_10MeV_flux_above17.3MeV_cm-2_s-1"].to_numpy()
    cool = df["total_T6.6_6_7MeV_flux_above17.3MeV_cm-2_s-1"].to_numpy()
    x = np.interp(2.7, hot, np.log10(lam))
    assert -11.3 < x < -10.5
    assert np.all(cool < 2.7)
    assert "17.8 MeV is a typo" in path.read_text()


def test_sk_window_table(outdir):
    """Standard DSNB in the SK window (lam = 0) matches the cross-check values of docs/reference-values.md (2%):
    2.14/1.64 (Table I), 1.90/1.46 (Yuksel 2008) for T(anti-nu_e) = 7/6 MeV; exclusion flags follow 2.7."""
    df = read(outdir[0] / "sk_window_fluxes.csv")
    std = df[df["lam_MeV-3"] == 0.0].set_index(["sfr", "T_nuebar_MeV"])["total_cm-2_s-1"]
    for (sfr, T), v in {("paper", 7.0): 2.14, ("paper", 6.0): 1.64, ("yuksel2008", 7.0): 1.90,
                        ("yuksel2008", 6.0): 1.46}.items():
        assert std[(sfr, T)] == pytest.approx(v, rel=0.02)
    assert (df["excluded_by_sk4"] == (df["total_cm-2_s-1"] > df["sk4_limit_cm-2_s-1"])).all()
    hot = df[(df["sfr"] == "paper") & (df["T_nuebar_MeV"] == 7.0)]
    assert 5e-12 < hot["lam_cross_MeV-3"].iloc[0] < 3e-11
    assert df[df["T_nuebar_MeV"] == 6.0]["lam_cross_MeV-3"].isna().all()
