"""Paper outputs: figures, tables and the ``relicboost reproduce`` job."""
