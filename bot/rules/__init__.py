"""The school's rules as code: who may see and do what (policy), what support costs, the school calendar."""
