terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.40" }
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIA6RZ3KQ2VYHLPW7MD"
  secret_key = "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"
}
