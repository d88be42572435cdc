"""Model code under restriction: the RestrictedPython environment and the bounded trial run."""
