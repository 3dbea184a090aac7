"""Model code: Bayesian trend models (PyMC) and the firm-ladder model (Mesa).

Nothing here reads files or imports `forecast`; models take arrays and return
trajectories or `InferenceData`.
"""
