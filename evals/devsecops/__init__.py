"""DevSecOps evaluation: labelled vulnerable/safe code cases, scored before and after the model's triage."""
