"""Entry points and the composition root: the command line, the self-test and the window's start-up.

The only layer that reads the environment (see `environment`); everything below receives its paths.
"""
