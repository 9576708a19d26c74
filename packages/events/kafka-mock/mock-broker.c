/*
 * mock-broker: a Kafka-protocol test broker backed by librdkafka's mock cluster.
 *
 * Usage: mock-broker [--brokers N] [--topic name:partitions]...
 *
 * Prints exactly one line "BOOTSTRAP=host:port[,host:port...]" on stdout once
 * ready, then serves until SIGTERM/SIGINT or until stdin reaches EOF (so it
 * never outlives the process that spawned it with a stdin pipe).
 *
 * Commands on stdin, one per line; each is answered with one line on stdout,
 * "OK" or "ERR <message>":
 *   down <brokerId>   rd_kafka_mock_broker_set_down
 *   up <brokerId>     rd_kafka_mock_broker_set_up
 *   ping              liveness check
 *   quit              shut down (same as EOF)
 *
 * Diagnostics go to stderr. Exit 0 after a clean shutdown, 2 on usage errors,
 * 1 if the cluster cannot be created.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS 256

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Every command gets exactly one reply line: "OK" or "ERR <message>". */
static void reply_ok(void) {
  fputs("OK\n", stdout);
  fflush(stdout);
}

static void reply_err(const char *msg, const char *detail) {
  fprintf(stdout, "ERR %s%s\n", msg, detail ? detail : "");
  fflush(stdout);
}

static int parse_int(const char *s, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return -1;
  *out = v;
  return 0;
}

/* Handle one command line; returns 1 if the program should stop. */
static int handle_command(rd_kafka_mock_cluster_t *mc, int brokers, char *line) {
  char *cmd = strtok(line, " \t\r\n");
  if (cmd == NULL) return 0; /* blank line: ignore, no reply */
  char *arg = strtok(NULL, " \t\r\n");

  if (strcmp(cmd, "ping") == 0) {
    reply_ok();
    return 0;
  }
  if (strcmp(cmd, "quit") == 0) {
    reply_ok();
    return 1;
  }
  if (strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) {
    long id;
    if (arg == NULL || parse_int(arg, 1, brokers, &id) != 0) {
      fprintf(stdout, "ERR bad broker id (expected 1..%d)\n", brokers);
      fflush(stdout);
      return 0;
    }
    rd_kafka_resp_err_t err = strcmp(cmd, "down") == 0
                                  ? rd_kafka_mock_broker_set_down(mc, (int32_t)id)
                                  : rd_kafka_mock_broker_set_up(mc, (int32_t)id);
    if (err) reply_err(rd_kafka_err2str(err), NULL);
    else reply_ok();
    return 0;
  }
  reply_err("unknown command: ", cmd);
  return 0;
}

int main(int argc, char **argv) {
  long brokers = 1;
  const char *topic_names[MAX_TOPICS];
  long topic_parts[MAX_TOPICS];
  char *topic_buf[MAX_TOPICS];
  int ntopics = 0;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
      if (parse_int(argv[++i], 1, 64, &brokers) != 0) {
        fprintf(stderr, "mock-broker: --brokers expects 1..64, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
      if (ntopics == MAX_TOPICS) {
        fprintf(stderr, "mock-broker: too many topics (max %d)\n", MAX_TOPICS);
        return 2;
      }
      char *spec = strdup(argv[++i]);
      char *colon = strrchr(spec, ':');
      long parts = 1;
      if (colon != NULL) {
        *colon = '\0';
        if (parse_int(colon + 1, 1, 10000, &parts) != 0) {
          fprintf(stderr, "mock-broker: bad partition count in --topic '%s'\n", argv[i]);
          return 2;
        }
      }
      if (spec[0] == '\0') {
        fprintf(stderr, "mock-broker: empty topic name in --topic '%s'\n", argv[i]);
        return 2;
      }
      topic_buf[ntopics] = spec;
      topic_names[ntopics] = spec;
      topic_parts[ntopics] = parts;
      ntopics++;
    } else {
      fprintf(stderr,
              "usage: %s [--brokers N] [--topic name:partitions]...\n"
              "unknown or incomplete argument: %s\n",
              argv[0], argv[i]);
      return 2;
    }
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  /* The mock cluster needs an rd_kafka_t handle to live in. */
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == NULL) {
    fprintf(stderr, "mock-broker: rd_kafka_new failed: %s\n", errstr);
    return 1;
  }

  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)brokers);
  if (mc == NULL) {
    fprintf(stderr, "mock-broker: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  for (int t = 0; t < ntopics; t++) {
    int rf = brokers < 3 ? (int)brokers : 3;
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(mc, topic_names[t], (int)topic_parts[t], rf);
    if (err) {
      fprintf(stderr, "mock-broker: creating topic %s failed: %s\n", topic_names[t],
              rd_kafka_err2str(err));
      rd_kafka_mock_cluster_destroy(mc);
      rd_kafka_destroy(rk);
      return 1;
    }
    free(topic_buf[t]);
  }

  fprintf(stdout, "BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[1024];
  size_t len = 0;
  int done = 0;
  while (!done && !stop_requested) {
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    int pr = poll(&pfd, 1, 200);
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pr == 0) continue;
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (n == 0) break; /* stdin closed: parent is gone */
    if (c == '\n') {
      line[len] = '\0';
      done = handle_command(mc, (int)brokers, line);
      len = 0;
    } else if (len < sizeof(line) - 1) {
      line[len++] = c;
    }
  }

  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
