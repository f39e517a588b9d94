"""Conventions as objects (issue 9 item 3): a new convention plugs in without touching Model or cevns.

The example below is the worked example of docs/architecture.md ("adding a convention").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from relicboost import Model, cevns
from relicboost.physics import conventions, propagators
from relicboost.physics.propagation import partner_from_weighted


@dataclass(frozen=True)
class LinearOptions:
    """Options of the toy ``linear`` convention: the paper's equations to first order in lam."""

    relic_dof: float = 2.0
    sharing: str = "democratic"


class LinearPropagator(propagators.PaperPropagator):
    """No attenuation of the DSNB; boosted flux linear in lam (Eq. IV.11 with Phi_D at lam = 0)."""

    name = "linear"
    cevns_boosted_channels = 6

    @property
    def label(self) -> str:
        return "convention: linear (paper equations to first order in lam)"

    def species_fluxes(self, lam, temps):
        src = self.sources(tuple(temps))
        today, weighted = self._printed.today_and_weighted(src, 0.0 * self.grid.energy, self.grid.boost_weight)
        return today, self.share(partner_from_weighted(self.grid, weighted, lam))


@pytest.fixture
def linear(monkeypatch):
    monkeypatch.setitem(conventions.OPTION_TYPES, "linear", LinearOptions)
    monkeypatch.setitem(propagators.PROPAGATORS, "linear", LinearPropagator)
    return Model(convention="linear")


def test_new_convention_plugs_in(linear):
    paper = Model()
    p, q = linear.predict(1e-18), paper.predict(1e-18)
    np.testing.assert_allclose(p.flux("nuebar", "boosted"), q.flux("nuebar", "boosted"), rtol=1e-6)
    np.testing.assert_allclose(p.flux("nuebar", "dsnb"), paper.predict(0.0).flux("nuebar", "dsnb"), rtol=1e-12)
    assert p.convention == "linear" and p.boosted_channels == 6 and linear.propagator.label.startswith("convention")
    # the CEvNS default channel count follows the propagator, not a convention name
    np.testing.assert_allclose(cevns.counts(p, "boosted", 1.0), cevns.counts(p, "boosted", 1.0, boosted_channels=6))


def test_unknown_option_of_a_convention_is_named():
    with pytest.raises(ValueError, match="flavour"):
        Model(convention="paper", flavour="normal")
    with pytest.raises(TypeError, match="adaptive_substeps"):
        Model(convention="consistent", adaptive_substeps="yes")


def test_presets_are_the_option_defaults():
    assert conventions.PRESETS["paper"] == {"relic_dof": 2.0, "sharing": "democratic", "outgoing": "partner",
                                            "sigma_energy": "printed"}
    assert Model(convention="consistent").propagator.cevns_boosted_channels == 6
    assert Model().propagator.cevns_boosted_channels == 3
