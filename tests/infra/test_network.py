"""``network: vpc``: the private network, what runs in it, and the invariant that nothing is public.

Expected values come from AWS's documentation, written out here: the endpoint each API's calls go
through (its service name in ``com.amazonaws.<region>.<name>``), the network-interface permissions
Lambda needs (the managed policy AWSLambdaVPCAccessExecutionRole), the subnets a VPC domain and an
Aurora subnet group take.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from governed_assistant.infra.invariants import check_resources, nothing_public_in_vpc_mode
from governed_assistant.infra.testing import MockRun
from governed_assistant.spec import AssistantSpec, SpecError

from tests.conftest import PRESETS
from tests.infra.test_assistant import BACKENDS, BASE_COUNT, build, make_spec

FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
COLLECTION_ENDPOINT = "aws:opensearch/serverlessVpcEndpoint:ServerlessVpcEndpoint"
NETWORK_POLICY = "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy"

# AWSLambdaVPCAccessExecutionRole's EC2 actions (its logs actions every function has already).
LAMBDA_VPC_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
# Where a function's call of each action goes: an interface endpoint (by its service name), a
# gateway endpoint, the collection's own endpoint, the domain inside the VPC, or nowhere in the VPC
# (Lambda ships logs and runs the X-Ray daemon itself; EC2 calls are Lambda's, with the role).
ACTION_ROUTES = {
    "bedrock:InvokeModel": "interface:bedrock-runtime",
    "bedrock:InvokeModelWithResponseStream": "interface:bedrock-runtime",
    "bedrock:ApplyGuardrail": "interface:bedrock-runtime",
    "bedrock:Retrieve": "interface:bedrock-agent-runtime",
    "states": "interface:states",
    "events": "interface:events",
    "sns": "interface:sns",
    "appconfig:StartConfigurationSession": "interface:appconfigdata",
    "appconfig:GetLatestConfiguration": "interface:appconfigdata",
    "rds-data": "interface:rds-data",
    "secretsmanager": "interface:secretsmanager",
    "sts": "interface:sts",
    "firehose": "interface:kinesis-firehose",
    "dynamodb": "gateway:dynamodb",
    "s3": "gateway:s3",
    "aoss": "collection",
    "es": "domain",
    "logs": "lambda",
    "xray": "lambda",
    "ec2": "lambda",
    # A failed asynchronous invocation's record: the Lambda service sends it to the on-failure
    # queue with the function's role, outside the function's network.
    "sqs:SendMessage": "lambda",
}


def vpc_spec(preset: str = "bounded-action", **changes: Any) -> AssistantSpec:
    return make_spec(preset, network="vpc", **changes)


@pytest.fixture(scope="module")
def vpc_runs() -> dict[str, tuple[AssistantSpec, MockRun]]:
    """Every preset and every retrieval backend, with ``network: vpc``."""
    specs = {f"preset-{preset}": vpc_spec(preset) for preset in PRESETS}
    specs.update({f"backend-{b}": vpc_spec(retrieval={"backend": b}) for b in BACKENDS[1:]})
    return {case: (spec, build(spec)) for case, spec in specs.items()}


def route(action: str) -> str:
    found = ACTION_ROUTES.get(action) or ACTION_ROUTES.get(action.split(":")[0])
    assert found, f"no route known for {action}; add where its calls go to ACTION_ROUTES"
    return found


def function_actions(run: MockRun) -> set[str]:
    """Every action the functions' roles allow (a role policy's role is ``<role logical>-id``)."""
    roles = {str(f.inputs["role"]).rsplit("/", 1)[1] + "-id" for f in run.of_type(FUNCTION)}
    return {
        str(action)
        for policy in run.of_type(ROLE_POLICY)
        if policy.inputs["role"] in roles
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }


def endpoint_services(run: MockRun, kind: str) -> set[str]:
    return {
        str(e.inputs["serviceName"]).rsplit(".", 1)[1]
        for e in run.of_type(ENDPOINT)
        if e.inputs["vpcEndpointType"] == kind
    }


# ------------------------------------------------------------------ the spec


def test_network_default_is_public() -> None:
    """Without ``network`` the assistant is built as before, on public endpoints."""
    assert make_spec().network == "public"


@pytest.mark.parametrize("value", ["private", "VPC", "", True])
def test_network_unknown_mode_refused_with_the_modes(value: Any) -> None:
    """Any other value is refused, naming it and saying what public and vpc mean."""
    with pytest.raises(SpecError) as raised:
        make_spec(network=value)
    message = str(raised.value)
    assert "network" in message and repr(value) in message
    assert "'public'" in message and "'vpc'" in message and "private subnets" in message


# ------------------------------------------------------------------ the programs


@pytest.mark.parametrize("case", [*(f"preset-{p}" for p in PRESETS), *(f"backend-{b}" for b in BACKENDS[1:])])
def test_vpc_every_program_passes_every_invariant(
    vpc_runs: dict[str, tuple[AssistantSpec, MockRun]], case: str
) -> None:
    """Every preset and backend in vpc mode passes every invariant, nothing_public_in_vpc_mode among them."""
    spec, run = vpc_runs[case]
    assert check_resources(run.resources, spec) == []
    assert run.duplicate_urns() == []
    assert run.orphans() == []


def test_vpc_public_program_fails_the_invariant() -> None:
    """The public program, judged as if the spec said vpc, fails: its functions and stores are public."""
    public = build(make_spec(retrieval={"backend": "opensearch"}))
    violations = check_resources(public.resources, vpc_spec(retrieval={"backend": "opensearch"}))
    assert any("runs outside the VPC" in v for v in violations)
    assert any("has a public endpoint" in v for v in violations)
    assert any("AllowFromPublic is True" in v for v in violations)
    assert any("public endpoint; give opensearch_configuration" in v for v in violations)


def test_vpc_default_assistant_resource_count() -> None:
    """vpc mode adds, to the default assistant: the network component, VPC, route table, two subnets and
    their associations, two gateway and seven interface endpoints, two groups, and per function (11) a
    network-interface policy."""
    run = build(vpc_spec())
    assert len(run.resources) - 1 == BASE_COUNT + 1 + 1 + 1 + 2 + 2 + 2 + 7 + 2 + 11


@pytest.mark.parametrize("case", [*(f"preset-{p}" for p in PRESETS), *(f"backend-{b}" for b in BACKENDS[1:])])
def test_vpc_endpoints_exactly_those_the_functions_call(
    vpc_runs: dict[str, tuple[AssistantSpec, MockRun]], case: str
) -> None:
    """Each API the functions' roles allow has its endpoint, and no endpoint serves nothing they call."""
    _, run = vpc_runs[case]
    routes = {route(action) for action in function_actions(run)}
    assert endpoint_services(run, "Interface") == {
        r.split(":")[1] for r in routes if r.startswith("interface:")
    }
    assert endpoint_services(run, "Gateway") == {"s3", "dynamodb"}
    assert bool(run.of_type(COLLECTION_ENDPOINT)) == ("collection" in routes)


def test_vpc_interface_endpoints_private_dns_in_both_subnets(
    vpc_runs: dict[str, tuple[AssistantSpec, MockRun]],
) -> None:
    """Interface endpoints answer the services' usual names (private DNS, which needs DNS on in the VPC),
    in both subnets, behind the group that lets in HTTPS from the functions' group alone."""
    _, run = vpc_runs["backend-pgvector"]
    (vpc,) = run.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    subnets = sorted(subnet.id for subnet in run.of_type(SUBNET))
    groups = {group.name.rsplit("-", 1)[1]: group for group in run.of_type(SECURITY_GROUP)}
    assert set(groups) == {"functions", "services", "database"}
    for endpoint in (e for e in run.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"):
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert sorted(endpoint.inputs["subnetIds"]) == subnets
        assert endpoint.inputs["securityGroupIds"] == [groups["services"].id]
    (https,) = groups["services"].inputs["ingress"]
    assert (https["fromPort"], https["toPort"], https["securityGroups"]) == (
        443,
        443,
        [groups["functions"].id],
    )
    assert not https.get("cidrBlocks")
    (postgres,) = groups["database"].inputs["ingress"]
    assert (postgres["fromPort"], postgres["securityGroups"]) == (5432, [groups["functions"].id])
    assert {rule["fromPort"] for rule in groups["functions"].inputs["egress"]} == {443, 5432}
    assert "ingress" not in groups["functions"].inputs or not groups["functions"].inputs["ingress"]


def test_vpc_subnets_private_in_two_zones_with_no_way_out(
    vpc_runs: dict[str, tuple[AssistantSpec, MockRun]],
) -> None:
    """Two subnets in two zones, no public addresses, no internet or NAT gateway, no route of our own."""
    _, run = vpc_runs["preset-bounded-action"]
    subnets = run.of_type(SUBNET)
    assert len({subnet.inputs["availabilityZone"] for subnet in subnets}) == 2
    assert all(subnet.inputs.get("mapPublicIpOnLaunch") is False for subnet in subnets)
    assert not {r.type for r in run.resources} & {
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/route:Route",
    }
    (table,) = run.of_type("aws:ec2/routeTable:RouteTable")
    assert not table.inputs.get("routes")


def test_vpc_every_function_in_the_subnets_with_network_interface_permissions(
    vpc_runs: dict[str, tuple[AssistantSpec, MockRun]],
) -> None:
    """Every function runs in both private subnets in the functions' group, and waits for a policy
    granting Lambda's documented network-interface actions (which Lambda checks when it creates it)."""
    _, run = vpc_runs["preset-insights-to-action"]
    subnets = sorted(subnet.id for subnet in run.of_type(SUBNET))
    (functions_group,) = [g for g in run.of_type(SECURITY_GROUP) if g.name.endswith("-functions")]
    policies = {p.urn: p for p in run.of_type(ROLE_POLICY)}
    for function in run.of_type(FUNCTION):
        assert sorted(function.inputs["vpcConfig"]["subnetIds"]) == subnets, function.name
        assert function.inputs["vpcConfig"]["securityGroupIds"] == [functions_group.id]
        waited = [policies[urn] for urn in function.dependencies if urn in policies]
        granted = {
            action
            for policy in waited
            for statement in json.loads(policy.inputs["policy"])["Statement"]
            if statement["Resource"] == "*"
            for action in statement["Action"]
        }
        assert granted >= LAMBDA_VPC_ACTIONS, function.name


@pytest.mark.parametrize(
    ("backend", "services"),
    [
        pytest.param("opensearch", None, id="opensearch"),
        pytest.param("knowledge-base", ["bedrock.amazonaws.com"], id="knowledge-base"),
    ],
)
def test_vpc_collection_lets_in_only_its_endpoint(
    vpc_runs: dict[str, tuple[AssistantSpec, MockRun]], backend: str, services: list[str] | None
) -> None:
    """The collection's network policy: not public; its VPC endpoint alone (and Bedrock, for a KB)."""
    _, run = vpc_runs[f"backend-{backend}"]
    (endpoint,) = run.of_type(COLLECTION_ENDPOINT)
    (policy,) = [p for p in run.of_type(NETWORK_POLICY) if p.inputs["type"] == "network"]
    (rule,) = json.loads(policy.inputs["policy"])
    assert rule["AllowFromPublic"] is False
    assert rule["SourceVPCEs"] == [endpoint.id]
    assert rule.get("SourceServices") == services


def test_public_collection_unchanged() -> None:
    """In public mode the collection's policy stays public and no network resource exists."""
    run = build(make_spec(retrieval={"backend": "opensearch"}))
    (policy,) = [p for p in run.of_type(NETWORK_POLICY) if p.inputs["type"] == "network"]
    assert json.loads(policy.inputs["policy"])[0]["AllowFromPublic"] is True
    assert not [r for r in run.resources if r.type.startswith("aws:ec2/")]
    assert all("vpcConfig" not in f.inputs for f in run.of_type(FUNCTION))


def test_vpc_database_in_its_own_subnet_group(vpc_runs: dict[str, tuple[AssistantSpec, MockRun]]) -> None:
    """Aurora: a subnet group over both zones' subnets (Aurora needs two zones), its own group, not public."""
    _, run = vpc_runs["backend-pgvector"]
    (group,) = run.of_type("aws:rds/subnetGroup:SubnetGroup")
    assert sorted(group.inputs["subnetIds"]) == sorted(subnet.id for subnet in run.of_type(SUBNET))
    (cluster,) = run.of_type("aws:rds/cluster:Cluster")
    assert cluster.inputs["dbSubnetGroupName"] == group.inputs["name"]
    (database_group,) = [g for g in run.of_type(SECURITY_GROUP) if g.name.endswith("-database")]
    assert cluster.inputs["vpcSecurityGroupIds"] == [database_group.id]
    assert cluster.inputs["enableHttpEndpoint"] is True  # the Data API path stays
    assert all(
        not i.inputs.get("publiclyAccessible") for i in run.of_type("aws:rds/clusterInstance:ClusterInstance")
    )


@pytest.mark.parametrize(
    ("size", "subnets"),
    [
        pytest.param(
            {"instance_type": "t3.medium.search", "instance_count": 1, "volume_gb": 10}, 1, id="one-node"
        ),
        pytest.param(
            {"instance_type": "r7g.large.search", "instance_count": 2, "volume_gb": 50}, 2, id="two-zones"
        ),
    ],
)
def test_vpc_domain_one_subnet_per_zone(size: dict[str, Any], subnets: int) -> None:
    """A VPC domain takes one subnet per zone it spans; Firehose delivers to it through the VPC."""
    run = build(vpc_spec(), search_domain=size)
    (domain,) = run.of_type("aws:opensearch/domain:Domain")
    assert len(domain.inputs["vpcOptions"]["subnetIds"]) == subnets
    (services,) = [g for g in run.of_type(SECURITY_GROUP) if g.name.endswith("-services")]
    assert domain.inputs["vpcOptions"]["securityGroupIds"] == [services.id]
    # The search stream (the audit archive's stream writes to S3, which needs no VPC).
    (stream,) = [
        s
        for s in run.of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
        if "opensearchConfiguration" in s.inputs
    ]
    assert len(stream.inputs["opensearchConfiguration"]["vpcConfig"]["subnetIds"]) == 2


# ------------------------------------------------------------------ the invariant, unit by unit

OK_POLICY = json.dumps([{"Rules": [], "AllowFromPublic": False, "SourceVPCEs": ["vpce-1"]}])


@pytest.mark.parametrize(
    ("resource_type", "inputs", "expected"),
    [
        pytest.param(FUNCTION, {"handler": "h"}, "runs outside the VPC", id="function-no-vpc"),
        pytest.param(
            FUNCTION,
            {"vpcConfig": {"subnetIds": [], "securityGroupIds": ["sg"]}},
            "outside",
            id="function-no-subnets",
        ),
        pytest.param("aws:opensearch/domain:Domain", {}, "public endpoint", id="domain-public"),
        pytest.param(
            "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
            {"opensearchConfiguration": {"domainArn": "d"}},
            "vpc_config",
            id="stream-public",
        ),
        pytest.param(
            NETWORK_POLICY,
            {"type": "network", "policy": json.dumps([{"Rules": [], "AllowFromPublic": True}])},
            "AllowFromPublic is True",
            id="collection-public",
        ),
        pytest.param(
            NETWORK_POLICY,
            {"type": "network", "policy": json.dumps([{"Rules": [], "AllowFromPublic": False}])},
            "no SourceVPCEs",
            id="collection-no-endpoint",
        ),
        pytest.param(
            SECURITY_GROUP,
            {"ingress": [{"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}]},
            "0.0.0.0/0",
            id="group-ipv4-anywhere",
        ),
        pytest.param(
            SECURITY_GROUP,
            {"ingress": [{"fromPort": 443, "toPort": 443, "protocol": "tcp", "ipv6CidrBlocks": ["::/0"]}]},
            "::/0",
            id="group-ipv6-anywhere",
        ),
        pytest.param(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            {"cidrIpv4": "0.0.0.0/0"},
            "0.0.0.0/0",
            id="ingress-rule-anywhere",
        ),
        pytest.param(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"]},
            "0.0.0.0/0",
            id="group-rule-anywhere",
        ),
        pytest.param(SUBNET, {"mapPublicIpOnLaunch": True}, "public IP", id="subnet-public-ips"),
        pytest.param("aws:ec2/internetGateway:InternetGateway", {}, "internet", id="internet-gateway"),
        pytest.param("aws:ec2/natGateway:NatGateway", {}, "internet", id="nat-gateway"),
        pytest.param(
            "aws:rds/clusterInstance:ClusterInstance",
            {"publiclyAccessible": True},
            "publicly",
            id="db-public",
        ),
    ],
)
def test_nothing_public_violation_reported_in_vpc_mode_only(
    resource_type: str, inputs: Mapping[str, Any], expected: str
) -> None:
    """Each way to be public is one violation naming the resource in vpc mode, and none in public mode."""
    (violation,) = nothing_public_in_vpc_mode(resource_type, "r", inputs, spec=vpc_spec())
    assert expected in violation and "'r'" in violation
    assert nothing_public_in_vpc_mode(resource_type, "r", inputs, spec=make_spec()) == []


@pytest.mark.parametrize(
    ("resource_type", "inputs"),
    [
        pytest.param(
            FUNCTION, {"vpcConfig": {"subnetIds": ["a"], "securityGroupIds": ["sg"]}}, id="function"
        ),
        pytest.param("aws:opensearch/domain:Domain", {"vpcOptions": {"subnetIds": ["a"]}}, id="domain"),
        pytest.param(NETWORK_POLICY, {"type": "network", "policy": OK_POLICY}, id="collection"),
        pytest.param(
            SECURITY_GROUP,
            {"ingress": [{"fromPort": 443, "toPort": 443, "protocol": "tcp", "securityGroups": ["sg"]}]},
            id="group-from-group",
        ),
        pytest.param(
            SECURITY_GROUP,
            {"egress": [{"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}]},
            id="egress-is-not-ingress",
        ),
        pytest.param(SUBNET, {"mapPublicIpOnLaunch": False}, id="subnet"),
    ],
)
def test_nothing_public_compliant_resource_passes(resource_type: str, inputs: Mapping[str, Any]) -> None:
    """A resource kept inside the VPC has no violation."""
    assert nothing_public_in_vpc_mode(resource_type, "r", inputs, spec=vpc_spec()) == []


def test_readme_private_network_names_each_interface_endpoint() -> None:
    """The README's "Private network" names every interface endpoint some configuration creates."""
    from governed_assistant.infra.network import interface_services

    from tests.conftest import REPO_ROOT

    text = (REPO_ROOT / "template" / "README.md.jinja").read_text(encoding="utf-8")
    section = text.split("### Private network", 1)[1].split("\n### ", 1)[0]
    specs = [vpc_spec(retrieval={"backend": b}) for b in BACKENDS]
    created = {service for spec in specs for service in interface_services(spec)}
    named = {service for service in created if f"`{service}`" in section}
    assert named == created
    # "the default assistant has seven"
    assert len(interface_services(vpc_spec())) == 7 and "has seven" in section


def test_security_group_text_rule_refuses_what_ec2_refuses() -> None:
    """EC2's rule for group and rule descriptions: an apostrophe, or 256 characters, is refused."""
    from tests.aws_validators._documented import _security_group

    assert list(_security_group({"description": "Functions: HTTPS to the VPC endpoints; S3"})) == []
    assert len(list(_security_group({"description": "the functions' group"}))) == 1
    assert len(list(_security_group({"egress": [{"fromPort": 443, "description": "x" * 256}]}))) == 1


def test_rendered_spec_says_network_with_its_comment() -> None:
    """A new project's assistant.yaml carries ``network: public`` under a comment naming both modes."""
    from governed_assistant.spec.answers import render_spec_yaml, spec_from_answers

    text = render_spec_yaml(spec_from_answers({"project_name": "Support"}))
    comment, value = text.split("\nnetwork:", 1)[0].rsplit("\n", 1)[1], text.split("\nnetwork:", 1)[1]
    assert value.startswith(" public\n")
    assert comment.startswith("# public:") and "vpc:" in comment
