"""Laboratory: the test catalogue, orders through their steps, results with flags."""
