"""Posterior outputs of an emcee chain: summary with diagnostics, ArviZ/GetDist files, corner plot.

One thinned sample serves everything: after a burn-in of 2 max(tau) steps, every
max(1, min(tau) / 2)-th step of every walker (:func:`thinned_samples`).  The credible limits,
the summary table and the corner plot are all computed from it, so the limit drawn in the
corner plot is the one in ``summary.csv``.

Diagnostics per coordinate (ArviZ, walkers taken as chains): bulk ESS, split-R-hat
(rank-normalised, Vehtari et al. 2021), the emcee integrated autocorrelation time tau, and the
Monte-Carlo standard error of every reported quantile (ArviZ ``mcse(method="quantile")``,
ESS-based).

Prior dominance: a credible limit on a coordinate with a flat prior whose posterior does not
vanish at the lower prior edge (log10 lam when the data only give an upper limit) depends on
where that edge is put.  It is measured, not guessed: the lower edge is moved up by
``PRIOR_EDGE_SHIFT`` = 2 (decades for log10 coordinates) and the limit recomputed from the
SAME samples with importance weights (1 above the new edge, 0 below: a flat prior on a
narrower range is the old posterior truncated).  A change by more than a factor
``PRIOR_EDGE_FACTOR`` = 2 in the limit (in the physical parameter) is reported as a warning
in ``summary.csv``, in the returned object and on stdout.
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from pathlib import Path
from typing import Any

import emcee
import numpy as np
import pandas as pd

from relicboost import parameters

from .problem import Problem, UniformPrior

#: Shift of the lower prior edge (coordinate units: decades for log10 coordinates) in the
#: prior-dominance check, and the change of the limit that triggers the warning.
PRIOR_EDGE_SHIFT, PRIOR_EDGE_FACTOR = 2.0, 2.0
#: Method line of an emcee posterior (summary.csv header, figure labels).
EMCEE_METHOD = "Bayesian posterior, emcee affine-invariant ensemble; limits are posterior quantiles"
#: Coordinates reported as one-sided upper limits (the interaction strength).
ONE_SIDED: tuple[str, ...] = ("log10_lam", "log10_g")


class PosteriorWarning(UserWarning):
    """A posterior summary needs care (not converged: split R-hat > 1.05)."""


class PriorDominatedWarning(PosteriorWarning):
    """A credible limit moves by more than a factor 2 when the prior edge moves by 2 decades."""


def thinned_samples(path: str | Path) -> tuple[np.ndarray, int, int, np.ndarray]:
    """(chain[burn::thin] of shape (steps, walkers, ndim), burn, thin, tau) of an emcee HDF5 file.

    burn = min(ceil(2 max tau), nsteps // 2); thin = max(1, int(min tau / 2)); tau from
    ``emcee.autocorr.integrated_time(tol=0)`` (nsteps where it is not finite).
    """
    b = emcee.backends.HDFBackend(str(path), read_only=True)
    chain = b.get_chain()
    nsteps = chain.shape[0]
    if nsteps == 0:
        raise ValueError(f"{path} holds no steps yet")
    tau = emcee.autocorr.integrated_time(chain, tol=0)
    tau = np.where(np.isfinite(tau), tau, float(nsteps))
    burn = min(math.ceil(2 * tau.max()), nsteps // 2)
    thin = max(1, int(0.5 * tau.min()))
    return chain[burn::thin], burn, thin, tau


def summarize(problem: Problem, path: str | Path, *, cl: float = 0.90, pool: str = "serial",
              resumed_from: int = 0):
    """Convergence figures and the credible upper limit on lam from a chain file (SamplingResult)."""
    from .chain_file import read_metadata
    from .sampling import SamplingResult

    meta = read_metadata(path)
    b = emcee.backends.HDFBackend(str(path), read_only=True)
    thinned, burn, thin, tau = thinned_samples(path)
    nsteps = int(b.iteration)
    lam = lam_samples(problem, thinned.reshape(-1, thinned.shape[2]))
    return SamplingResult(
        path=str(path), names=problem.names, nwalkers=thinned.shape[1], nsteps=nsteps,
        seed=int(meta["seed"]), config_hash=str(meta["config_hash"]),
        tau=dict(zip(problem.names, map(float, tau))),
        acceptance_fraction=float(np.mean(b.accepted / nsteps)),
        converged=bool(nsteps > 50 * tau.max()), burn_in=burn, thin=thin, cl=cl,
        lam_upper=None if lam is None else _q(lam, cl),
        priors=problem.priors_text(), pool=pool, resumed_from=int(resumed_from))


def lam_samples(problem: Problem, flat: np.ndarray) -> np.ndarray | None:
    """lam (MeV^-3) of each sample, or None when lam is not sampled."""
    names = problem.names
    if "log10_lam" in names:
        return 10.0 ** flat[:, names.index("log10_lam")]
    if problem.mediator and ("log10_g" in names or "log10_M_MeV" in names):
        from relicboost.physics.interactions import lam_from_coupling

        g = 10.0 ** flat[:, names.index("log10_g")] if "log10_g" in names else problem.fixed["g"]
        m = (10.0 ** flat[:, names.index("log10_M_MeV")] if "log10_M_MeV" in names
             else problem.fixed["M"])
        return np.asarray(lam_from_coupling(g, m, problem.m_nu_eV, problem.mediator))
    return None


@dataclasses.dataclass
class PosteriorSummary:
    """What :func:`write_posterior` computed and wrote.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per coordinate (the content of ``summary.csv``).
    warnings : list of str
        Prior-dominance and convergence warnings (also in ``summary.csv`` and on stdout).
    files : dict
        Written files by kind ("summary", "netcdf", "getdist", "corner", "trace").
    cl : float
        Credibility of the limits.
    """

    table: pd.DataFrame
    warnings: list[str]
    files: dict[str, list[str]]
    cl: float


def _quantile_mcse(idata: Any, name: str, prob: float) -> float:
    import arviz as az

    return float(az.mcse(idata, var_names=[name], method="quantile", prob=prob)[name])


def prior_edge_shift(x: np.ndarray, low: float, cl: float, shift: float = PRIOR_EDGE_SHIFT
                     ) -> tuple[float, float, int]:
    """(limit, limit with the lower prior edge moved up by ``shift``, samples kept) for the
    ``cl`` quantile of samples ``x`` of a coordinate with a flat prior starting at ``low``
    (truncation weights: module docstring)."""
    kept = x[x >= low + shift]
    return _q(x, cl), (_q(kept, cl) if kept.size else math.nan), int(kept.size)


def _q(x: np.ndarray, prob: float) -> float:
    """Quantile as a sample value (inverted CDF): invariant under monotonic maps such as 10^x, so
    the lam limit and the log10 lam limit drawn in the corner plot are the same sample."""
    return float(np.quantile(x, prob, method="inverted_cdf"))


def summary_table(problem: Problem, thinned: np.ndarray, tau: np.ndarray, cl: float
                  ) -> tuple[pd.DataFrame, list[str], Any]:
    """Summary rows, warnings and the ArviZ InferenceData of a thinned chain (steps, walkers, ndim)."""
    import arviz as az

    idata = az.from_dict(posterior={n: thinned[:, :, i].T for i, n in enumerate(problem.names)})
    ess = az.ess(idata, method="bulk")
    rhat = az.rhat(idata, method="rank")
    rows, notes = [], []
    lo_q = 1.0 - cl
    for i, name in enumerate(problem.names):
        x = thinned[:, :, i].ravel()
        p = parameters.by_coordinate(name)
        prior = problem.free[list(problem.free)[i]].prior
        row = {"coordinate": name, "unit": parameters.coordinate_unit(name),
               "prior": problem.priors_text()[name], "mean": float(x.mean()), "median": float(np.median(x)),
               "sd": float(x.std(ddof=1)),
               f"lower_{100 * cl:g}": _q(x, lo_q),
               f"lower_{100 * cl:g}_mcse": _quantile_mcse(idata, name, lo_q),
               f"upper_{100 * cl:g}": _q(x, cl),
               f"upper_{100 * cl:g}_mcse": _quantile_mcse(idata, name, cl),
               "ess_bulk": float(ess[name]), "rhat_split": float(rhat[name]), "tau_steps": float(tau[i]),
               "one_sided": name in ONE_SIDED, "label": parameters.coordinate_label(name),
               "upper_prior_edge_shifted": math.nan, "warning": ""}
        if name in ONE_SIDED and isinstance(prior, UniformPrior):
            up, up_shift, kept = prior_edge_shift(x, prior.low, cl)
            row["upper_prior_edge_shifted"] = up_shift
            factor = 10.0 ** abs(up_shift - up) if (p is not None and p.is_log) else abs(up_shift / up)
            if kept < 100 or not math.isfinite(factor) or factor > PRIOR_EDGE_FACTOR:
                msg = (f"{name}: the {100 * cl:g}% credible upper limit is prior-dominated: moving the lower "
                       f"prior edge from {prior.low:g} to {prior.low + PRIOR_EDGE_SHIFT:g} moves it from "
                       f"{up:.3f} to {up_shift:.3f} (factor {factor:.3g} in the parameter; {kept} samples "
                       "kept); quote a profile-likelihood limit instead")
                row["warning"] = msg
                notes.append(msg)
        if row["rhat_split"] > 1.05:
            msg = f"split R-hat = {row['rhat_split']:.3f} > 1.05: not converged"
            row["warning"] = (row["warning"] + "; " if row["warning"] else "") + msg
            notes.append(f"{name}: {msg}")
        rows.append(row)
    return pd.DataFrame(rows), notes, idata


def write_getdist(problem: Problem, thinned: np.ndarray, log_prob: np.ndarray, root: Path) -> list[Path]:
    """GetDist chain files ``root.txt`` (weight, -ln posterior, coordinates; one walker after the
    other), ``root.paramnames`` (name and LaTeX label) and ``root.ranges`` (prior bounds)."""
    from relicboost.io import atomic_path

    steps, walkers, ndim = thinned.shape
    cols = np.column_stack([np.ones(steps * walkers), -log_prob.T.reshape(-1),
                            thinned.transpose(1, 0, 2).reshape(-1, ndim)])
    out = []
    for suffix, write in (
            (".txt", lambda fh: np.savetxt(fh, cols, fmt="%.10e")),
            (".paramnames", lambda fh: fh.write("".join(
                f"{n}\t{parameters.coordinate_label(n).strip('$')}\n" for n in problem.names))),
            (".ranges", lambda fh: fh.write("".join(
                f"{n}\t{lo!r}\t{hi!r}\n" for n, (lo, hi) in zip(problem.names, problem.bounds))))):
        path = root.with_name(root.name + suffix)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            write(fh)
        out.append(path)
    return out


def header_metadata(problem: Problem, cl: float, method: str) -> dict[str, Any]:
    """``# key: value`` lines of summary.csv: what the figures' labels state (convention, method, C.L.,
    likelihood)."""
    from .factory import ModelFactory, describe

    factory = problem.factory
    convention = (dict(factory.kwargs).get("convention", "paper") if isinstance(factory, ModelFactory)
                  else f"custom model {describe(factory)}")
    like = problem.likelihood
    return {"CL": f"{cl:.2f}", "convention": convention, "method": method,
            "likelihood": getattr(like, "label", "") or getattr(like, "name", "") or type(like).__name__}


def write_summary(problem: Problem, samples: np.ndarray, tau: np.ndarray, outdir: Path, *, cl: float,
                  metadata: dict[str, Any], description: str) -> tuple[pd.DataFrame, list[str], dict[str, list[str]]]:
    """Write ``posterior.nc`` and ``summary.csv`` of ``samples`` (steps, chains, ndim); returns the table,
    the warnings and the files.  ``metadata`` becomes ``# key: value`` lines and netCDF attributes."""
    from relicboost.io import atomic_path

    table, notes, idata = summary_table(problem, samples, tau, cl)
    idata.attrs.update({**{k: v if isinstance(v, (int, float)) else str(v) for k, v in metadata.items()}, "cl": cl,
                        "units": str({n: parameters.coordinate_unit(n) for n in problem.names}),
                        "priors": str(problem.priors_text())})
    nc = outdir / "posterior.nc"
    with atomic_path(nc) as tmp:
        idata.to_netcdf(str(tmp))
    csv = outdir / "summary.csv"
    header = (f"# {description}; {100 * cl:g}% credible limits with ArviZ quantile MCSE; ESS bulk; split R-hat\n"
              f"# prior-dominance check: lower flat-prior edge moved up by {PRIOR_EDGE_SHIFT:g}, "
              "limit recomputed by truncation weights on the same samples\n"
              + "".join(f"# {k}: {v}\n" for k, v in metadata.items()))
    with atomic_path(csv) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(header)
        table.to_csv(fh, index=False, float_format="%.6g")
    return table, notes, {"netcdf": [str(nc)], "summary": [str(csv)]}


def report(notes: list[str], echo: bool) -> None:
    """Issue the posterior warnings (and print them when ``echo``)."""
    for msg in notes:
        warnings.warn(msg, PriorDominatedWarning if "prior-dominated" in msg else PosteriorWarning, stacklevel=3)
        if echo:
            print(f"WARNING: {msg}")


def write_posterior(problem: Problem, chain_path: str | Path, outdir: str | Path, *, cl: float = 0.90,
                    echo: bool = True) -> PosteriorSummary:
    """Write ``posterior.nc`` (ArviZ), GetDist chains, ``summary.csv``, ``corner`` and ``trace`` (PNG + PDF).

    The figures are drawn from ``summary.csv`` and the chain file, as ``relicboost plot`` redraws
    them (:mod:`relicboost.inference.posterior_figures`).

    Parameters
    ----------
    problem : Problem
        The problem the chain was sampled for (names, priors, bounds).
    chain_path : str or Path
        emcee HDF5 chain (``chain.h5``).
    outdir : str or Path
        Directory for the outputs (created if missing).
    cl : float
        Credibility of the limits (default 0.90).
    echo : bool
        Print the warnings on stdout (they are also issued as :class:`PriorDominatedWarning`).
    """
    from .posterior_figures import draw_posterior_figures

    if not 0.5 < cl < 1.0:
        raise ValueError(f"cl must be in (0.5, 1), got {cl}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    thinned, burn, thin, tau = thinned_samples(chain_path)
    log_prob = emcee.backends.HDFBackend(str(chain_path), read_only=True).get_log_prob()[burn::thin]
    meta = {**header_metadata(problem, cl, EMCEE_METHOD), "burn_in": burn, "thin": thin,
            "chain": Path(chain_path).name}
    table, notes, files = write_summary(
        problem, thinned, tau, outdir, cl=cl, metadata=meta,
        description=f"posterior summary of {Path(chain_path).name}: burn-in {burn} steps, thin {thin}; tau in steps")
    (outdir / "getdist").mkdir(exist_ok=True)
    files["getdist"] = [str(p) for p in write_getdist(problem, thinned, log_prob, outdir / "getdist" / "chain")]
    figures = [str(p) for p in draw_posterior_figures(outdir, chain_path)]
    files["corner"] = [p for p in figures if Path(p).stem == "corner"]
    files["trace"] = [p for p in figures if Path(p).stem == "trace"]
    report(notes, echo)
    return PosteriorSummary(table, notes, files, cl)
