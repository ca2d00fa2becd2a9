from policycheck.cli import run

run()
