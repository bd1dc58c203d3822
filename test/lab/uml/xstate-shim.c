/*
 * LD_PRELOAD for linux.uml (Debian's user-mode-linux 6.1) on hosts whose XSAVE area is larger than
 * the 4096 bytes UML reads and writes a guest thread's FPU state with.
 *
 * UML saves and restores each guest thread's FPU state with ptrace(PTRACE_GETREGSET /
 * PTRACE_SETREGSET, NT_X86_XSTATE) through a buffer of its own fixed size. The host kernel accepts
 * a SETREGSET of NT_X86_XSTATE only for the whole of its XSAVE area (xstateregs_set: "A whole
 * standard-format XSAVE buffer is needed", else EFAULT). On a CPU with AMX that area is 11,008 bytes
 * (the 8 KB of tile data), so UML's first restore fails and the guest's init dies at once:
 * "userspace - ptrace set fp regs failed, errno = 14", then "Kernel panic - not syncing: Attempted
 * to kill init!".
 *
 * This wraps libc's ptrace for those two requests only, when UML's buffer is smaller than the
 * host's area: a read goes through a buffer of the host's size and gives UML the part it asked
 * for (the legacy, header, AVX and AVX-512 parts all lie within its 4096 bytes); a write sends
 * UML's bytes with the rest of the area zeroed and the AMX components (tile config and data,
 * XSTATE_BV bits 17 and 18) marked as in their initial state. Guest code cannot use AMX (it must ask
 * the kernel for it with arch_prctl, which UML 6.1 does not offer its guests), so nothing is lost.
 * Every other ptrace call, and these two where UML's buffer is large enough, go to libc as they are.
 *
 * Built by test/lab/uml/lab.sh with the machine's gcc; used only to run the working-mesh lab.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif

/* The largest XSAVE area the architecture allows (CPUID 0xD reports far less today). */
#define BOUNCE_MAX (64 * 1024)
/* XSTATE_BV lies at offset 512 of the standard format; AMX's components are bits 17 and 18. */
#define XSTATE_BV_OFFSET 512
#define AMX_BITS ((1ULL << 17) | (1ULL << 18))

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

static ptrace_fn real_ptrace;
/* The host's XSAVE area for ptrace (0 until the first read tells it). */
static size_t host_size;
static __thread unsigned char *bounce;

static ptrace_fn next_ptrace(void) {
  if (!real_ptrace) real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  return real_ptrace;
}

static unsigned char *bounce_buffer(void) {
  if (!bounce) bounce = aligned_alloc(64, BOUNCE_MAX);
  return bounce;
}

/* The host's size: a read into the largest buffer comes back with the kernel's own length. */
static size_t xstate_size(pid_t pid) {
  if (host_size) return host_size;
  unsigned char *b = bounce_buffer();
  if (!b) return 0;
  struct iovec iov = { b, BOUNCE_MAX };
  if (next_ptrace()(PTRACE_GETREGSET, pid, (void *)(uintptr_t)NT_X86_XSTATE, &iov) == 0) host_size = iov.iov_len;
  return host_size;
}

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);

  if ((request == PTRACE_GETREGSET || request == PTRACE_SETREGSET) && (uintptr_t)addr == NT_X86_XSTATE && data) {
    struct iovec *uml = data;
    size_t size = xstate_size(pid);
    unsigned char *b = bounce_buffer();
    if (size > uml->iov_len && size <= BOUNCE_MAX && b) {
      struct iovec iov = { b, size };
      if (request == PTRACE_GETREGSET) {
        long r = next_ptrace()(PTRACE_GETREGSET, pid, addr, &iov);
        if (r == 0) memcpy(uml->iov_base, b, uml->iov_len);
        return r;
      }
      memcpy(b, uml->iov_base, uml->iov_len);
      memset(b + uml->iov_len, 0, size - uml->iov_len);
      if (uml->iov_len >= XSTATE_BV_OFFSET + 8) {
        uint64_t bv;
        memcpy(&bv, b + XSTATE_BV_OFFSET, 8);
        bv &= ~AMX_BITS;
        memcpy(b + XSTATE_BV_OFFSET, &bv, 8);
      }
      return next_ptrace()(PTRACE_SETREGSET, pid, addr, &iov);
    }
  }
  return next_ptrace()(request, pid, addr, data);
}
