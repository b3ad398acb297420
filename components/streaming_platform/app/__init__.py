"""AppTier: load balancers, the EC2 fleet, ECS services, the private API and Cognito sign-in."""
