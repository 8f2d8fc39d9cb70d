#include "hedgerow/common/thread_priority.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hedgerow/common/log.h"

namespace hedgerow {

void SetCurrentThreadNice(int nice, const char* module) {
  if (nice == 0) return;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice) != 0) {
    LogWarn(module, "cannot lower the thread's priority", {{"nice", nice}});
  }
}

void NameCurrentThread(std::string_view name) {
  char buffer[16] = {};
  name.copy(buffer, sizeof(buffer) - 1);
  pthread_setname_np(pthread_self(), buffer);
}

}  // namespace hedgerow
