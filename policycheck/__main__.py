from policycheck.launch import run

run()
