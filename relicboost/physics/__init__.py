"""Pure, vectorised physics on energy x redshift grids (natural units, MeV)."""
