"""The bundled tables, installed as the package data of `forecast.bundled_data`.

This file only makes the folder a package, so `importlib.resources` finds the same
tables in a checkout, an editable install and an installed wheel.
"""
