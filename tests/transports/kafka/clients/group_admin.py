"""kafka-python's admin client on consumer groups: prints
  listed <group> <protocol type or ->
  described <group> <state> <protocol type or -> <member count>
for every group ListGroups returns, described with DescribeGroups."""
import argparse

from kafka.admin import KafkaAdminClient


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    args = parser.parse_args()
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, request_timeout_ms=15000)
    listed = admin.list_consumer_groups()
    for group_id, protocol_type in listed:
        print("listed", group_id, protocol_type or "-", flush=True)
    for group in admin.describe_consumer_groups([group_id for group_id, _ in listed]):
        print("described", group.group, group.state, group.protocol_type or "-",
              len(group.members), flush=True)
    admin.close()


if __name__ == "__main__":
    main()
