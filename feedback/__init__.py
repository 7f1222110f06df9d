"""Reviewers' corrections: stored in a database, exported as labelled data, imported from review tools."""
