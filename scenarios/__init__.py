"""The bundled scenario files, installed as the package data of `forecast.bundled_scenarios`.

This file only makes the folder a package, so `importlib.resources` finds the same
scenarios in a checkout, an editable install and an installed wheel.
"""
