"""One stack per brand: brands as data, the merge template, each function's grants, the deploy."""
