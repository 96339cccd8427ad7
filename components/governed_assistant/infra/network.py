"""``PrivateNetwork``: the VPC of ``network: vpc``, where the functions reach AWS only through endpoints.

Two private subnets in two availability zones, and nothing else that routes out: no internet
gateway, no NAT gateway, no public IP on any subnet. The functions run in those subnets in
the functions' security group; every AWS API they call is reached through a VPC endpoint:

- gateway endpoints (no hourly charge) for S3 and DynamoDB, on the subnets' route table;
- an interface endpoint (private DNS on, so the SDK's usual hostnames resolve to it) for each
  other service a function of this stack calls, and only those (``interface_services``);
- with a serverless collection (``opensearch`` and ``knowledge-base`` retrieval), its own VPC
  endpoint (``aws.opensearch.ServerlessVpcEndpoint``), the only way its network policy lets in.

Interface endpoints, the collection's endpoint and the OpenSearch domain sit in the services'
group, which accepts HTTPS from the functions' group alone; Aurora (pgvector) gets its own subnet
group across both zones and a group that accepts PostgreSQL from the functions' group alone.

Not every AWS call a function makes needs an endpoint: Lambda ships a function's logs to
CloudWatch Logs and runs the X-Ray daemon that sends its traces outside the function's network,
so neither ``logs`` nor ``xray`` gets one (no handler calls either API itself). Firehose does,
with OpenSearch on: the transformation puts records back on the stream (and, with the
``firehose`` telemetry sink, every function puts its events there).
"""

from __future__ import annotations

import warnings
from typing import Final, TypedDict

import pulumi
import pulumi_aws as aws

from governed_assistant.infra.functions import FunctionVpc, physical_name
from governed_assistant.spec.model import AssistantSpec

# pulumi_aws 7.x warns (DeprecationWarning) while it loads its ec2 package, about a renamed
# resource this code never uses (as functions.py says of lambda_ and s3). Load it once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    _LOADED = (aws.ec2.Vpc,)

VPC_CIDR: Final = "10.0.0.0/16"
# One private subnet per zone; /20 leaves room for every function's network interfaces.
SUBNET_CIDRS: Final = ("10.0.0.0/20", "10.0.16.0/20")
HTTPS: Final = 443
POSTGRES: Final = 5432
GATEWAY_SERVICES: Final = ("s3", "dynamodb")
# Interface endpoints every stack needs: the model and guardrails (bedrock-runtime), the approval
# tasks the API completes (states), the bus the API puts jobs on (events), the approval topic
# (sns) and the rollout flags (appconfigdata, AppConfig's data plane).
BASE_INTERFACE_SERVICES: Final = ("bedrock-runtime", "states", "events", "sns", "appconfigdata")


def interface_services(spec: AssistantSpec) -> tuple[str, ...]:
    """The services this stack's functions call that need an interface endpoint, by endpoint name."""
    services = list(BASE_INTERFACE_SERVICES)
    backend = spec.retrieval.backend
    if backend == "knowledge-base":
        services.append("bedrock-agent-runtime")  # Retrieve
    if backend == "pgvector":
        services += ["rds-data", "secretsmanager"]  # the Data API, and the reader's secret
    if spec.observability.opensearch:
        services.append("sts")  # the domain's setup assumes the master user role
        services.append("kinesis-firehose")  # PutRecordBatch (the transformation; the firehose sink)
    return tuple(services)


def serverless_collection(spec: AssistantSpec) -> bool:
    """Whether the stack has an OpenSearch Serverless collection (it needs its own VPC endpoint)."""
    return spec.retrieval.backend in ("opensearch", "knowledge-base")


def _zone(names: pulumi.Output[list[str]], index: int) -> pulumi.Output[str]:
    # Picking a zone inside apply creates no resource; two zones exist in every commercial region.
    return names.apply(lambda resolved: resolved[index])


class PrivateNetworkArgs(TypedDict):
    spec: AssistantSpec
    """The validated spec: its slug names the resources; its retrieval backend and observability
    say which endpoints, the collection endpoint and the database's subnet group are needed."""


class PrivateNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    """The VPC."""
    subnet_ids: list[pulumi.Output[str]]
    """The private subnets, one per availability zone (a list of known length: no ``apply`` needed)."""
    functions_security_group_id: pulumi.Output[str]
    """The functions' group (Firehose's too, to the domain): HTTPS out; PostgreSQL with pgvector."""
    services_security_group_id: pulumi.Output[str]
    """The group of the endpoints and the search domain: HTTPS in from the functions' group only."""
    collection_endpoint_id: pulumi.Output[str] | None
    """The serverless collection's VPC endpoint; None without a collection."""
    database_security_group_id: pulumi.Output[str] | None
    """Aurora's group (pgvector): PostgreSQL in from the functions' group only; None otherwise."""
    db_subnet_group_name: pulumi.Output[str] | None
    """Aurora's subnet group across both zones (pgvector); None otherwise."""

    def __init__(
        self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("governed:network:PrivateNetwork", name, None, opts)
        self._name = name
        self._spec = args["spec"]
        self._stack = pulumi.get_stack()
        self._tags = {"assistant": self._spec.slug, "layer": "network"}
        child = pulumi.ResourceOptions(parent=self)
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke_opts).region
        zones = aws.get_availability_zones_output(state="available", opts=invoke_opts).names

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=VPC_CIDR,
            # Private DNS of interface endpoints needs both (EC2 CreateVpcEndpoint, PrivateDnsEnabled).
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={**self._tags, "Name": physical_name(self._spec.slug, self._stack, limit=64)},
            opts=child,
        )
        # A route table of its own, with no route out: only the gateway endpoints add routes.
        routes = aws.ec2.RouteTable(f"{name}-private-routes", vpc_id=vpc.id, tags=self._tags, opts=child)
        subnets = []
        for index, cidr in enumerate(SUBNET_CIDRS):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=_zone(zones, index),
                map_public_ip_on_launch=False,
                tags=self._tags,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-routes", subnet_id=subnet.id, route_table_id=routes.id, opts=child
            )
            subnets.append(subnet)
        subnet_ids = [subnet.id for subnet in subnets]
        gateways = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region, ".", service),
                vpc_endpoint_type="Gateway",
                route_table_ids=[routes.id],
                tags=self._tags,
                opts=child,
            )
            for service in GATEWAY_SERVICES
        }
        pgvector = self._spec.retrieval.backend == "pgvector"
        functions_group = aws.ec2.SecurityGroup(
            f"{name}-functions",
            description="Functions: HTTPS to the VPC endpoints, S3 and DynamoDB; PostgreSQL to Aurora",
            vpc_id=vpc.id,
            # No ingress: nothing calls a function over the network; Lambda invokes it.
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to the interface endpoints and the search domain",
                    protocol="tcp", from_port=HTTPS, to_port=HTTPS, cidr_blocks=[VPC_CIDR],
                ),
                aws.ec2.SecurityGroupEgressArgs(
                    description="HTTPS to S3 and DynamoDB through their gateway endpoints",
                    protocol="tcp", from_port=HTTPS, to_port=HTTPS,
                    prefix_list_ids=[gateway.prefix_list_id for gateway in gateways.values()],
                ),
                *(
                    [
                        aws.ec2.SecurityGroupEgressArgs(
                            description="PostgreSQL to Aurora",
                            protocol="tcp", from_port=POSTGRES, to_port=POSTGRES, cidr_blocks=[VPC_CIDR],
                        )
                    ]
                    if pgvector
                    else []
                ),
            ],
            tags=self._tags,
            opts=child,
        )  # fmt: skip
        services_group = self._inbound_group(
            "services", vpc, functions_group, HTTPS, "HTTPS from the functions"
        )
        self._create_interface_endpoints(vpc, subnet_ids, services_group, region)

        self.vpc_id = vpc.id
        self.subnet_ids = subnet_ids
        self.functions_security_group_id = functions_group.id
        self.services_security_group_id = services_group.id
        self.collection_endpoint_id = None
        if serverless_collection(self._spec):
            self.collection_endpoint_id = aws.opensearch.ServerlessVpcEndpoint(
                f"{name}-collection-endpoint",
                name=physical_name(self._spec.slug, self._stack, "vectors", limit=32),
                vpc_id=vpc.id,
                subnet_ids=subnet_ids,
                security_group_ids=[services_group.id],
                opts=child,
            ).id
        self.database_security_group_id = None
        self.db_subnet_group_name = None
        if pgvector:
            self.database_security_group_id = self._inbound_group(
                "database", vpc, functions_group, POSTGRES, "PostgreSQL from the functions"
            ).id
            self.db_subnet_group_name = aws.rds.SubnetGroup(
                f"{name}-database-subnets",
                name=physical_name(self._spec.slug, self._stack, "vectors", limit=255),
                description=f"Aurora of {physical_name(self._spec.slug, self._stack, limit=64)}: two zones",
                # Aurora requires subnets in at least two availability zones.
                subnet_ids=subnet_ids,
                tags=self._tags,
                opts=child,
            ).name
        self.register_outputs({"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids})

    def function_vpc(self) -> FunctionVpc:
        """Where every function runs: the private subnets, the functions' group."""
        return {"subnet_ids": self.subnet_ids, "security_group_ids": [self.functions_security_group_id]}

    def _inbound_group(
        self, purpose: str, vpc: aws.ec2.Vpc, source: aws.ec2.SecurityGroup, port: int, description: str
    ) -> aws.ec2.SecurityGroup:
        # Ingress from the functions' group alone, never from an address range; no egress at all
        # (the provider removes AWS's default allow-all egress rule when none is given).
        return aws.ec2.SecurityGroup(
            f"{self._name}-{purpose}",
            description=f"{purpose.capitalize()}: {description} only",
            vpc_id=vpc.id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    description=description,
                    protocol="tcp",
                    from_port=port,
                    to_port=port,
                    security_groups=[source.id],
                )
            ],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_interface_endpoints(
        self,
        vpc: aws.ec2.Vpc,
        subnet_ids: list[pulumi.Output[str]],
        group: aws.ec2.SecurityGroup,
        region: pulumi.Output[str],
    ) -> None:
        for service in interface_services(self._spec):
            aws.ec2.VpcEndpoint(
                f"{self._name}-{service}",
                vpc_id=vpc.id,
                service_name=pulumi.Output.concat("com.amazonaws.", region, ".", service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=subnet_ids,
                security_group_ids=[group.id],
                tags=self._tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
