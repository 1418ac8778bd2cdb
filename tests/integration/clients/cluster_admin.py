"""A Kafka client's view of a Junction cluster, through confluent-kafka.

  metadata BOOTSTRAP          prints "controller ID", "brokers ID...", then
                              "partition TOPIC P LEADER ERROR" per partition
  create BOOTSTRAP TOPIC N    creates TOPIC with N partitions; prints "created"
                              or the Kafka error's name
"""
import sys

from confluent_kafka.admin import AdminClient, NewTopic


def admin(bootstrap):
    # One bootstrap broker: the answer is that broker's view.
    return AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 5000})


def metadata(bootstrap):
    cluster = admin(bootstrap).list_topics(timeout=10)
    print("controller", cluster.controller_id)
    print("brokers", *sorted(cluster.brokers.keys()))
    for name, topic in sorted(cluster.topics.items()):
        for p, part in sorted(topic.partitions.items()):
            print("partition", name, p, part.leader, part.error.name() if part.error else "NONE")


def create(bootstrap, topic, partitions):
    client = admin(bootstrap)  # alive until the answer: its futures die with it
    futures = client.create_topics([NewTopic(topic, int(partitions), 1)], request_timeout=20)
    try:
        futures[topic].result(25)
        print("created")
    except Exception as error:
        print(error.args[0].name())


if sys.argv[1] == "metadata":
    metadata(sys.argv[2])
elif sys.argv[1] == "create":
    create(*sys.argv[2:5])
else:
    sys.exit("unknown command " + sys.argv[1])
