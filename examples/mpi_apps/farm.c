/*
 * farm - master/worker task farm.
 *
 * Each round the master broadcasts a seed (MPI_Bcast), then hands out tasks to whichever
 * worker asks first: it waits with MPI_Probe on MPI_ANY_SOURCE/MPI_ANY_TAG, sizes each
 * result with MPI_Get_count (results have different lengths) and replies with the next
 * task or a stop.  After the round every rank counts its tasks with a non-blocking
 * MPI_Iallreduce (overlapped with local book-keeping) and the master collects the task
 * ids each rank ran with MPI_Gatherv and checks that every task ran exactly once.
 * With one rank the master runs the tasks itself.
 *
 * The checksum is independent of the rank count: results are stored by task id and
 * summed in task order, whichever worker computed them.
 */
#include <math.h>

#include "app_common.h"

enum { TAG_READY = 1, TAG_RESULT = 2, TAG_TASK = 3, TAG_STOP = 4 };

/* Number of values task `t` of round `round` produces. */
static int task_length(long t, long round) {
  return 1 + (int)((t * 7 + round * 3) % 16);
}

/* Runs task `t`: each value is `work` steps of the logistic map from a seeded start. */
static void run_task(double seed, long t, long round, long work, double* out) {
  const int len = task_length(t, round);
  for (int v = 0; v < len; ++v) {
    double x = fmod(seed + 0.618033988749895 * (double)(t + 1) + 0.1 * (double)v, 1.0);
    if (x == 0.0) {
      x = 0.5;
    }
    for (long m = 0; m < work; ++m) {
      x = 3.9 * x * (1.0 - x);
    }
    out[v] = x;
  }
}

static double sum_values(const double* v, int len) {
  double s = 0.0;
  for (int i = 0; i < len; ++i) {
    s += v[i];
  }
  return s;
}

static void fail(const char* message) {
  fprintf(stderr, "farm: %s\n", message);
  MPI_Abort(MPI_COMM_WORLD, 3);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  long tasks = 64;
  long work = 20000;
  long rounds = 5;
  long sleep_ms = 0;
  long timing = 0;
  app_option opts[] = {
      {"tasks", 't', &tasks, 1, 1L << 20, "tasks per round"},
      {"size", 'n', &work, 1, 1L << 30, "work per task value (logistic-map steps)"},
      {"iters", 'i', &rounds, 0, LONG_MAX / 2, "rounds"},
      {"sleep-ms", 's', &sleep_ms, 0, 3600000, "sleep after each round (milliseconds)"},
      APP_TIME_OPTION(timing),
  };
  const int parsed =
      app_parse_options(argc, argv, "farm", "Master/worker task farm.", opts, 5, rank);
  if (parsed != 0) {
    MPI_Finalize();
    return parsed == 1 ? 0 : 2;
  }

  double* results = calloc((size_t)tasks, sizeof(double)); /* master: per-task sums */
  int* my_ids = calloc((size_t)tasks, sizeof(int));        /* tasks this rank ran */
  int* all_ids = calloc((size_t)tasks, sizeof(int));
  int* seen = calloc((size_t)tasks, sizeof(int));
  int* counts = calloc((size_t)size, sizeof(int));
  int* displs = calloc((size_t)size, sizeof(int));
  double buffer[1 + 16];
  if (!results || !my_ids || !all_ids || !seen || !counts || !displs) {
    fail("out of memory");
  }

  double checksum = 0.0;
  double seed = 0.25;
  const double loop_start = app_loop_start(timing);
  for (long round = 0; round < rounds; ++round) {
    MPI_Bcast(&seed, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    int done = 0;
    if (size == 1) {
      for (long t = 0; t < tasks; ++t) {
        run_task(seed, t, round, work, buffer);
        results[t] = sum_values(buffer, task_length(t, round));
        my_ids[done++] = (int)t;
      }
    } else if (rank == 0) {
      long next = 0;
      int stopped = 0;
      while (stopped < size - 1) {
        MPI_Status status;
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
        const int worker = status.MPI_SOURCE;
        if (status.MPI_TAG == TAG_READY) {
          MPI_Recv(NULL, 0, MPI_BYTE, worker, TAG_READY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (status.MPI_TAG == TAG_RESULT) {
          int count = 0;
          MPI_Get_count(&status, MPI_DOUBLE, &count);
          if (count < 2 || count > 1 + 16) {
            fail("result of unexpected length");
          }
          MPI_Recv(buffer, count, MPI_DOUBLE, worker, TAG_RESULT, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE);
          const long t = (long)buffer[0];
          if (t < 0 || t >= tasks || count != 1 + task_length(t, round)) {
            fail("result for an unknown task or of the wrong length");
          }
          results[t] = sum_values(buffer + 1, count - 1);
        } else {
          fail("unexpected message tag at the master");
        }
        if (next < tasks) {
          const int task = (int)next++;
          MPI_Send(&task, 1, MPI_INT, worker, TAG_TASK, MPI_COMM_WORLD);
        } else {
          const int stop = -1;
          MPI_Send(&stop, 1, MPI_INT, worker, TAG_STOP, MPI_COMM_WORLD);
          ++stopped;
        }
      }
    } else {
      MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
      while (1) {
        int task = 0;
        MPI_Status status;
        MPI_Recv(&task, 1, MPI_INT, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
        if (status.MPI_TAG == TAG_STOP) {
          break;
        }
        buffer[0] = (double)task;
        run_task(seed, task, round, work, buffer + 1);
        MPI_Send(buffer, 1 + task_length(task, round), MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
        my_ids[done++] = task;
      }
    }

    /* Count the round's tasks without blocking, and check the count once local work is
     * done; then the master checks that every task ran exactly once. */
    long my_count = done;
    long total = 0;
    MPI_Request count_request;
    MPI_Iallreduce(&my_count, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD, &count_request);
    MPI_Gather(&done, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0) {
      for (int i = 0, offset = 0; i < size; ++i) {
        displs[i] = offset;
        offset += counts[i];
      }
    }
    MPI_Gatherv(my_ids, done, MPI_INT, all_ids, counts, displs, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Wait(&count_request, MPI_STATUS_IGNORE);
    if (total != tasks) {
      fail("the ranks' task counts do not add up to the number of tasks");
    }
    if (rank == 0) {
      memset(seen, 0, (size_t)tasks * sizeof(int));
      for (long i = 0; i < tasks; ++i) {
        if (all_ids[i] < 0 || all_ids[i] >= tasks || seen[all_ids[i]]++ != 0) {
          fail("a task ran twice or not at all");
        }
      }
      const double round_sum = sum_values(results, (int)tasks);
      checksum += round_sum;
      seed = fmod(round_sum, 1.0);
    }
    app_sleep_ms(sleep_ms);
  }
  app_loop_end(timing, loop_start, rank);
  if (rank == 0) {
    printf("farm: tasks=%ld work=%ld rounds=%ld ranks=%d\n", tasks, work, rounds, size);
    app_print_checksum(checksum);
  }
  free(results);
  free(my_ids);
  free(all_ids);
  free(seen);
  free(counts);
  free(displs);
  MPI_Finalize();
  return 0;
}
