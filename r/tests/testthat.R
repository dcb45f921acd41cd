library(testthat)
library(cirrhosim)

test_check("cirrhosim")
