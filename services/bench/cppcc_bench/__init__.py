"""`make bench`: the stack under load beside bare baselines measured in the same run."""
