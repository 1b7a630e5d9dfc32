#!/usr/bin/env python3
"""Generates libftmpi's MPI wrappers from mpi.spec (see docs/interposition.md).

  gen_wrappers.py SPEC MPI_H OUTDIR

writes into OUTDIR:
  mpi_calls.hpp       CallId (one per spec entry), call classes, names, parameter names
  mpi_calls.cpp       the call table
  mpi_wrappers.cpp    one extern "C" wrapper per non-custom spec entry
  mpi_unsupported.cpp a stub that stops the job, naming the call, for every other MPI_
                      function MPI_H declares
  mpi_executors.cpp   the rank proxy's executor of every forwarded call (transparent mode)
  transparent_refused.txt  the calls transparent mode refuses, and why
  mpi_predefined.cpp  the names of MPI's predefined objects and callbacks
Fails (exit 1, naming the line) on anything in the spec it does not understand.
"""
import os
import re
import sys

HANDLE_TYPES = {
    'MPI_Comm', 'MPI_Group', 'MPI_Datatype', 'MPI_Op', 'MPI_Request', 'MPI_Info',
    'MPI_Errhandler', 'MPI_Message',
}
CLASSES = ['init', 'comm', 'type', 'p2p', 'probe', 'wait', 'coll']
INT_TYPES = {'int', 'MPI_Aint', 'MPI_Count', 'MPI_Fint', 'MPI_Offset'}


# Annotations only the rank proxy's executors need (transparent mode): how to carry a
# parameter that points into the application's memory.
BUFFER_ANNOTATIONS = {'sbuf', 'rbuf', 'iobuf', 'sbufv', 'rbufv', 'sbufw', 'rbufw', 'bytes',
                      'iobytes'}
EXTENT_ANNOTATIONS = BUFFER_ANNOTATIONS | {'outlen', 'inoutlen', 'statuses', 'str'}
FORWARD_ANNOTATIONS = EXTENT_ANNOTATIONS | {'opaque'}
# The wait and test calls: which requests a successful call completed.
COMPLETIONS = {
    'MPI_Wait': 'x.completed(request_before, false, status);',
    'MPI_Test': 'if (*flag != 0) { x.completed(request_before, false, status); }',
    'MPI_Waitall': 'for (long i = 0; i < count; ++i) { x.completed(array_of_requests_before[i], false, &array_of_statuses[i]); }',
    'MPI_Testall': 'if (*flag != 0) { for (long i = 0; i < count; ++i) { x.completed(array_of_requests_before[i], false, &array_of_statuses[i]); } }',
    'MPI_Waitany': 'if (*index != MPI_UNDEFINED) { x.completed(array_of_requests_before[*index], false, status); }',
    'MPI_Testany': 'if (*flag != 0 && *index != MPI_UNDEFINED) { x.completed(array_of_requests_before[*index], false, status); }',
    'MPI_Waitsome': 'if (*outcount != MPI_UNDEFINED) { for (int i = 0; i < *outcount; ++i) { x.completed(array_of_requests_before[array_of_indices[i]], false, &array_of_statuses[i]); } }',
    'MPI_Testsome': 'if (*outcount != MPI_UNDEFINED) { for (int i = 0; i < *outcount; ++i) { x.completed(array_of_requests_before[array_of_indices[i]], false, &array_of_statuses[i]); } }',
    'MPI_Request_get_status': 'if (*flag != 0) { x.completed(request, true, status); }',
    'MPI_Request_free': 'x.forget(request_before);',
}
# Blocking calls the proxy carries out as non-blocking ones plus a polling loop
# (proxy/progress.hpp).
# (and the receives and probes, which look at drained messages first)
PROGRESSIVE = {'MPI_Send', 'MPI_Ssend', 'MPI_Rsend', 'MPI_Recv', 'MPI_Sendrecv',
               'MPI_Sendrecv_replace', 'MPI_Mrecv', 'MPI_Probe', 'MPI_Mprobe', 'MPI_Wait',
               'MPI_Waitall', 'MPI_Waitany', 'MPI_Waitsome', 'MPI_Barrier', 'MPI_Irecv',
               'MPI_Iprobe', 'MPI_Improbe', 'MPI_Imrecv', 'MPI_Start', 'MPI_Startall'}
# Non-blocking sends the executor posts itself: counted for the quiesce.
COUNTED_SENDS = {'MPI_Isend', 'MPI_Issend', 'MPI_Irsend', 'MPI_Ibsend'}
# Persistent requests: what each start posts.
PERSISTENT = {'MPI_Send_init': 'send', 'MPI_Bsend_init': 'send', 'MPI_Ssend_init': 'send',
              'MPI_Rsend_init': 'send', 'MPI_Recv_init': 'recv'}
# Blocking collectives over all of a communicator: an MPI_Ibarrier first.  Every
# blocking call of class coll on `comm`, and these communicator constructors.
COLLECTIVE_ENTRY = {
    'MPI_Comm_dup': 'comm', 'MPI_Comm_dup_with_info': 'comm', 'MPI_Comm_split': 'comm',
    'MPI_Comm_split_type': 'comm', 'MPI_Comm_create': 'comm', 'MPI_Cart_create': 'old_comm',
    'MPI_Cart_sub': 'comm', 'MPI_Graph_create': 'comm_old', 'MPI_Dist_graph_create': 'comm_old',
    'MPI_Dist_graph_create_adjacent': 'comm_old', 'MPI_Intercomm_merge': 'intercomm',
}
# Calls that wait for other ranks and have no non-blocking twin: carried out through
# ftmpi::blocking_call, so that a rank proxy keeps answering checkpoint orders meanwhile.
BLOCKING = set(COLLECTIVE_ENTRY) | {'MPI_Comm_create_group', 'MPI_Intercomm_create'}
# Calls with a generated wrapper whose rank-proxy executor is hand-written
# (proxy/custom_exec.cpp: exec_custom_NAME).
CUSTOM_EXECUTORS = {'MPI_Query_thread'}
# The calls that complete requests (a persistent request keeps its handle).
WAITS = {'MPI_Wait', 'MPI_Test', 'MPI_Waitall', 'MPI_Testall', 'MPI_Waitany', 'MPI_Testany',
         'MPI_Waitsome', 'MPI_Testsome'}
# Calls that free a communicator: its entry in the quiesce's rank cache goes with it (MPI
# may give a later communicator the same address).
FREED_COMMS = {'MPI_Comm_free': 'comm'}
# Blocking receives: the status trims what is written back.
RECEIVED = {'MPI_Recv', 'MPI_Sendrecv', 'MPI_Mrecv'}
STARTS = {
    'MPI_Start': 'x.starting(&request_v, 1);',
    'MPI_Startall': 'x.starting(array_of_requests, count);',
}


ALL_NAMES = set()  # every function in the spec (set by main)


class SpecError(Exception):
    pass


class NotForwardable(Exception):
    pass


def split_top(text, sep=','):
    """Splits on `sep` outside brackets and parentheses."""
    parts, depth, cur = [], 0, ''
    for ch in text:
        if ch in '([':
            depth += 1
        elif ch in ')]':
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


class Param:
    def __init__(self, text):
        self.annotation, self.extent = None, None
        m = re.search(r'\s@(\w+)(?:\[(.*)\])?$', text)
        if m:
            self.annotation, self.extent = m.group(1), m.group(2)
            text = text[:m.start()].strip()
        self.decl = text
        m = re.match(r'^(.*?)(\w+)\s*((?:\[[^\]]*\])*)$', text)
        if not m:
            raise SpecError(f'cannot parse parameter "{text}"')
        self.type_text, self.name, self.dims = m.group(1).strip(), m.group(2), m.group(3)
        self.is_const = 'const' in self.type_text.split()
        base = self.type_text.replace('const', '').replace('*', '').strip()
        self.base = base
        self.pointers = self.type_text.count('*')
        self.is_array = bool(self.dims)
        self.is_handle = base in HANDLE_TYPES
        if self.annotation not in (None, 'new', 'temp', 'inout', 'out', 'in', 'len', 'weights') \
                and self.annotation not in FORWARD_ANNOTATIONS:
            raise SpecError(f'unknown annotation @{self.annotation} on {self.name}')
        if self.annotation in ('in', 'len', 'weights') or self.annotation in EXTENT_ANNOTATIONS or (
                self.annotation in ('inout', 'out') and self.is_array):
            if not self.extent:
                raise SpecError(f'@{self.annotation} on {self.name} needs [EXTENT]')

    @property
    def handle_role(self):
        """'in', 'new', 'temp', 'inout', 'out', 'in_array', 'inout_array', 'out_array'."""
        if not self.is_handle:
            return None
        if self.is_array:
            if self.annotation not in ('in', 'inout', 'out'):
                raise SpecError(f'handle array {self.name} needs @in/@inout/@out[EXTENT]')
            return self.annotation + '_array'
        if self.pointers == 0:
            return 'in'
        if self.annotation not in ('new', 'temp', 'inout', 'out'):
            raise SpecError(f'handle pointer {self.name} needs @new/@temp/@inout/@out')
        return self.annotation


class Function:
    def __init__(self, line, lineno):
        self.lineno = lineno
        head, proto = line.split(' : ', 1)
        words = head.split()
        self.cls = words[0]
        if self.cls not in CLASSES:
            raise SpecError(f'unknown class {self.cls}')
        self.flags, self.bytes = set(), None
        for w in words[1:]:
            if w.startswith('bytes='):
                self.bytes = w[len('bytes='):]
            elif w in ('custom', 'preinit', 'log', 'appside', 'local'):
                self.flags.add(w)
            else:
                raise SpecError(f'unknown flag {w}')
        m = re.match(r'^(.*?)\s*\b(MPI_\w+)\((.*)\)$', proto.strip())
        if not m:
            raise SpecError('cannot parse prototype')
        self.ret, self.name, args = m.group(1).strip(), m.group(2), m.group(3)
        self.variadic = args.strip().endswith('...')
        self.params = [] if args.strip() in ('void', '') else [
            Param(p) for p in split_top(args) if p != '...']
        for p in self.params:
            p.handle_role  # validates
        self.creates = any(p.handle_role == 'new' for p in self.params)
        self.logged = self.creates or 'log' in self.flags
        if self.logged and 'custom' not in self.flags:
            for p in self.params:
                if p.is_array and not p.is_handle and p.annotation not in ('len', 'weights') \
                        and not (p.pointers == 0 and not p.is_const and p.base == 'MPI_Status'):
                    if p.is_const or p.annotation:
                        raise SpecError(f'logged call: array {p.name} needs @len[EXTENT]')

    @property
    def is_int_return(self):
        return self.ret == 'int'


def parse_spec(path):
    functions, seen = [], set()
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split('#', 1)[0].rstrip() if raw.lstrip().startswith('#') else raw.rstrip()
            if not line.strip():
                continue
            try:
                fn = Function(line, lineno)
            except SpecError as e:
                sys.exit(f'{path}:{lineno}: {e}')
            if fn.name in seen:
                sys.exit(f'{path}:{lineno}: {fn.name} listed twice')
            seen.add(fn.name)
            functions.append(fn)
    return functions


def declared_functions(mpi_h):
    text = open(mpi_h).read()
    names = set(re.findall(r'OMPI_DECLSPEC\s+[A-Za-z_][\w \*]*?\b(MPI_\w+)\s*\(', text))
    return sorted(names)


def predefined_symbols(mpi_h):
    """MPI's predefined objects and callbacks: what a predefined handle points at."""
    text = open(mpi_h).read()
    objects = re.findall(r'OMPI_DECLSPEC\s+extern\s+struct\s+ompi_predefined_\w+\s+(ompi_\w+)\s*;', text)
    functions = re.findall(r'OMPI_DECLSPEC\s+int\s+(OMPI_C_MPI_\w+)\s*\(', text)
    return sorted(set(objects)), sorted(set(functions))


def decl_list(fn):
    parts = [p.decl for p in fn.params]
    if fn.variadic:
        parts.append('...')
    return ', '.join(parts) if parts else 'void'


def wrapper(fn):
    out = []
    add = out.append
    add(f'extern "C" {fn.ret} {fn.name}({decl_list(fn)}) {{')
    if 'local' not in fn.flags:
        out.extend(forwarding_branch(fn))
    add(f'  ftmpi::CallScope scope_(ftmpi::CallId::{fn.name});')
    add('  try {')
    call_args, pre, post, pre_arrays, always, late = [], [], [], [], [], []
    temp_request = next((p.name for p in fn.params
                         if p.handle_role == 'temp' and p.base == 'MPI_Request'), None)
    for p in fn.params:
        role = p.handle_role
        t = p.base
        if role == 'in':
            pre.append(f'    {t} r_{p.name} = ftmpi::to_real({p.name});')
            call_args.append(f'r_{p.name}')
        elif role in ('new', 'temp', 'out'):
            pre.append(f'    {t} r_{p.name} = ftmpi::HandleTraits<{t}>::null();')
            call_args.append(f'&r_{p.name}')
            if role == 'out':
                post.append(f'      *{p.name} = ftmpi::to_virtual(r_{p.name});')
            else:
                post.append(f'      *{p.name} = ftmpi::adopt(r_{p.name});')
        elif role == 'inout':
            pre.append(f'    const {t} v_{p.name} = *{p.name};')
            pre.append(f'    {t} r_{p.name} = ftmpi::to_real_inout(v_{p.name});')
            call_args.append(f'&r_{p.name}')
            always.append(f'    *{p.name} = ftmpi::update(v_{p.name}, r_{p.name});')
        elif role == 'in_array' and temp_request:
            # A non-blocking call may read the array until it completes.
            pre_arrays.append(f'    ftmpi::RealArray<{t}> r_{p.name}('
                              f'ftmpi::RealArray<{t}>::OnHeap{{}}, {p.name}, {p.extent});')
            call_args.append(f'r_{p.name}.data()')
            late.append(f'      r_{p.name}.keep_until_done(*{temp_request});')
        elif role in ('in_array', 'inout_array'):
            pre_arrays.append(f'    ftmpi::RealArray<{t}> r_{p.name}({p.name}, {p.extent});')
            call_args.append(f'r_{p.name}.data()')
            if role == 'inout_array':
                always.append(f'    r_{p.name}.write_back({p.name});')
        elif role == 'out_array':
            pre_arrays.append(
                f'    ftmpi::RealArray<{t}> r_{p.name}(ftmpi::RealArray<{t}>::Output{{}}, {p.name}, {p.extent});')
            call_args.append(f'r_{p.name}.data()')
            post.append(f'      r_{p.name}.write_virtual({p.name});')
        else:
            call_args.append(p.name)
    out.extend(pre)
    out.extend(pre_arrays)
    call = f'P{fn.name}({", ".join(call_args)})'
    if not fn.is_int_return:
        if fn.ret in HANDLE_TYPES:
            add(f'    return ftmpi::to_virtual({call});')
        else:
            add(f'    return {call};')
        add('  } catch (...) {')
        add(f'    ftmpi::wrapper_failed("{fn.name}");')
        add(f'    return {fn.ret}{{}};')
        add('  }')
        add('}')
        return '\n'.join(out)
    if fn.name in BLOCKING:
        add(f'    auto call_ = [&]() noexcept {{ return {call}; }};')
        add('    const int rc_ = ftmpi::blocking_call(call_);')
    else:
        add(f'    const int rc_ = {call};')
    # Handles a call may free are updated even when it fails: a failed MPI_Waitall
    # has still completed (and freed) some of its requests.
    out.extend(always)
    add('    if (rc_ == MPI_SUCCESS) {')
    out.extend(post)
    out.extend(late)
    if fn.bytes:
        count, _, dtype = fn.bytes.rpartition('*')
        add(f'      scope_.add_bytes(ftmpi::type_bytes({count}, r_{dtype}));')
    if fn.logged:
        add(f'      ftmpi::LogRecord record_(ftmpi::CallId::{fn.name});')
        for p in fn.params:
            add('      ' + log_arg(fn, p))
        add('      ftmpi::creation_log().append(std::move(record_));')
    add('    }')
    add('    return rc_;')
    add('  } catch (...) {')
    add(f'    return ftmpi::wrapper_failed("{fn.name}");')
    add('  }')
    add('}')
    return '\n'.join(out)


def forwarding_branch(fn):
    """In transparent mode the application's wrapper hands the call to its proxy."""
    names = ', '.join(p.name for p in fn.params)
    lines = ['  if (ftmpi::g_forwarding) [[unlikely]] {']
    if 'appside' in fn.flags:
        lines.append(f'    return ftmpi::appside_{fn.name}({names});')
    elif fn.executor_error is not None:
        lines.append(f'    ftmpi::transparent_unsupported("{fn.name}");')
    else:
        call = f'ftmpi::forward(ftmpi::CallId::{fn.name}{", " if names else ""}{names})'
        if fn.ret in HANDLE_TYPES:
            lines.append(f'    return ftmpi::handle_from_word<{fn.ret}>({call});')
        else:
            lines.append(f'    return static_cast<{fn.ret}>({call});')
    lines.append('  }')
    return lines


def executor(fn):
    """The proxy's side of a forwarded call; raises NotForwardable."""
    phase1, phase2, phase3, args, always, success = [], [], [], [], [], []
    has_sendbuf = any(p.name == 'sendbuf' and p.annotation in ('sbuf', 'sbufv', 'sbufw')
                      for p in fn.params)
    index = {p.name: i for i, p in enumerate(fn.params)}
    in_place = f'w[{index["sendbuf"]}] == 1' if has_sendbuf else 'false'
    temp_request = any(p.handle_role == 'temp' and p.base == 'MPI_Request' for p in fn.params)
    for i, p in enumerate(fn.params):
        w, n, t, role = f'w[{i}]', p.name, p.base, p.handle_role
        ext = split_top(p.extent) if p.extent else []
        if role == 'in':
            phase1.append(f'  const {t} {n} = x.handle<{t}>({w});')
            phase1.append(f'  [[maybe_unused]] const {t} r_{n} = ftmpi::to_real({n});')
            args.append(n)
        elif role in ('new', 'temp', 'out'):
            phase2.append(f'  {t} {n}_v = ftmpi::HandleTraits<{t}>::null();')
            args.append(f'&{n}_v')
            success.append(f'    x.put_handle({w}, {n}_v);')
            if t == 'MPI_Request' and role == 'temp':
                success.append(f'    x.defer({n}_v, false);')
                if fn.name in COUNTED_SENDS:
                    success.append('    ftmpi::traffic().sent(r_comm, dest);')
            elif t == 'MPI_Request' and fn.name in PERSISTENT:
                peer = 'dest' if PERSISTENT[fn.name] == 'send' else 'source'
                success.append(f'    x.defer({n}_v, true, ftmpi::RequestKind::{PERSISTENT[fn.name]}, r_comm, {peer});')
                if PERSISTENT[fn.name] == 'recv':
                    success.append(f'    x.persistent_recv({n}_v, {{buf, count, datatype, source, tag, comm}});')
        elif role == 'inout':
            phase2.append(f'  {t} {n}_v = x.get_handle<{t}>({w});')
            phase2.append(f'  [[maybe_unused]] const {t} {n}_before = {n}_v;')
            args.append(f'&{n}_v')
            if t == 'MPI_Request' and fn.name in WAITS:
                always.append(f'  x.put_request({w}, {n}_v, {n}_before);')
            else:
                always.append(f'  x.put_handle({w}, {n}_v);')
        elif role in ('in_array', 'inout_array'):
            phase2.append(f'  {t}* {n} = x.get_handles<{t}>({w}, {p.extent});')
            args.append(n)
            if role == 'inout_array':
                phase2.append(f'  [[maybe_unused]] const std::vector<{t}> {n}_before({n}, {n} + ({n} != nullptr ? ({p.extent}) : 0));')
                if t == 'MPI_Request' and fn.name in WAITS:
                    always.append(f'  x.put_requests({w}, {n}, {n}_before.data(), {p.extent});')
                else:
                    always.append(f'  x.put_handles({w}, {n}, {p.extent});')
        elif role == 'out_array':
            phase2.append(f'  {t}* {n} = x.scratch<{t}>({p.extent});')
            args.append(n)
            success.append(f'    x.put_handles({w}, {n}, {p.extent});')
        elif p.annotation in BUFFER_ANNOTATIONS:
            a = p.annotation
            # A point-to-point buffer whose peer is MPI_PROC_NULL is never touched: copy
            # nothing (a Cartesian edge's halo column would be copied whole otherwise).
            peer = {'sbuf': 'dest', 'rbuf': 'source'}.get(a)
            names = {q.name for q in fn.params}
            count = ext[0]
            if fn.cls == 'p2p' and peer in names:
                count = f'({peer} == MPI_PROC_NULL ? 0 : {ext[0]})'
            if a == 'sbuf':
                phase3.append(f'  const void* {n} = x.send_buffer({w}, {count}, r_{ext[1]});')
            elif a == 'rbuf':
                read_first = 'true' if 'eighbor' in fn.name else in_place
                exact = 'true' if fn.cls == 'p2p' else 'false'
                phase3.append(f'  void* {n} = x.recv_buffer({w}, {count}, r_{ext[1]}, {read_first}, {exact});')
            elif a == 'iobuf':
                phase3.append(f'  void* {n} = x.inout_buffer({w}, {ext[0]}, r_{ext[1]});')
            elif a == 'sbufv':
                phase3.append(f'  const void* {n} = x.send_buffer_v({w}, {ext[0]}, {ext[1]}, r_{ext[2]}, {ext[3]});')
            elif a == 'rbufv':
                read_first = 'true' if 'eighbor' in fn.name else in_place
                phase3.append(f'  void* {n} = x.recv_buffer_v({w}, {ext[0]}, {ext[1]}, r_{ext[2]}, {ext[3]}, {read_first});')
            elif a == 'sbufw':
                phase3.append(f'  const void* {n} = x.send_buffer_w({w}, {ext[0]}, {ext[1]}, ftmpi::real_types(x, {ext[2]}, {ext[3]}), {ext[3]});')
            elif a == 'rbufw':
                read_first = 'true' if 'eighbor' in fn.name else in_place
                phase3.append(f'  void* {n} = x.recv_buffer_w({w}, {ext[0]}, {ext[1]}, ftmpi::real_types(x, {ext[2]}, {ext[3]}), {ext[3]}, {read_first});')
            elif a == 'bytes':
                phase3.append(f'  const void* {n} = x.read_bytes({w}, {ext[0]});')
            elif a == 'iobytes':
                phase3.append(f'  void* {n} = x.inout_bytes({w}, {ext[0]});')
            args.append(n)
        elif p.base in INT_TYPES and p.pointers == 0 and not p.is_array:
            phase1.append(f'  const {t} {n} = static_cast<{t}>(static_cast<std::int64_t>({w}));')
            args.append(n)
        elif p.base.endswith('_function') or p.base.endswith('_fn'):
            phase1.append(f'  {t}* {n} = x.function<{t}*>({w}, "{fn.name}\'s {n}");')
            args.append(n)
        elif p.annotation == 'opaque':
            phase1.append(f'  void* {n} = reinterpret_cast<void*>(static_cast<std::uintptr_t>({w}));')
            args.append(n)
        elif p.annotation in ('len', 'inoutlen') and p.dims.count('[') == 2:
            call = 'read' if p.annotation == 'len' else 'inout'
            phase2.append(f'  auto* {n} = reinterpret_cast<int(*)[3]>(x.{call}<int>({w}, {p.extent}));')
            args.append(n)
        elif p.annotation == 'len':
            phase2.append(f'  const {t}* {n} = x.read<{t}>({w}, {p.extent});')
            args.append(n)
        elif p.annotation == 'weights':
            phase2.append(f'  const int* {n} = x.read_weights({w}, {p.extent});')
            args.append(n)
        elif p.annotation in ('outlen', 'inoutlen'):
            call = 'out' if p.annotation == 'outlen' else 'inout'
            phase2.append(f'  {t}* {n} = x.{call}<{t}>({w}, {p.extent});')
            args.append(n)
        elif p.base == 'MPI_Status':
            if p.is_const:
                phase2.append(f'  const MPI_Status* {n} = x.read<MPI_Status>({w}, 1);')
            elif p.annotation == 'statuses':
                phase2.append(f'  MPI_Status* {n} = x.out_status({w}, {p.extent});')
            elif p.pointers == 1 and not p.is_array:
                phase2.append(f'  MPI_Status* {n} = x.out_status({w}, 1);')
            else:
                raise NotForwardable(f'{p.decl} needs @statuses[EXTENT]')
            args.append(n)
        elif p.base == 'char' and p.pointers == 1:
            if p.is_const:
                phase2.append(f'  const char* {n} = x.read_string({w});')
            elif p.annotation == 'str':
                phase2.append(f'  char* {n} = x.out_string({w}, {p.extent});')
            else:
                raise NotForwardable(f'{p.decl} needs @str[MAX]')
            args.append(n)
        elif (p.base in INT_TYPES or p.base == 'double') and p.pointers == 1 and not p.is_const \
                and not p.is_array and p.annotation is None:
            phase2.append(f'  {t}* {n} = x.out<{t}>({w}, 1);')
            args.append(n)
        else:
            raise NotForwardable(f'do not know how to carry {p.decl}')
    out = [f'int exec_{fn.name}(ftmpi::Exec& x, const std::uint64_t* w, std::uint64_t& result_) {{',
           '  (void)w;', '  (void)result_;',
           f'  ftmpi::CallScope scope_(ftmpi::CallId::{fn.name});  // the calls inside count as this one']
    out += phase1 + phase2 + phase3
    out.append('  if (!x.ok()) {')
    out.append('    return MPI_ERR_ARG;')
    out.append('  }')
    if fn.name in STARTS:
        out.append('  ' + STARTS[fn.name])
    if fn.name in FREED_COMMS:
        out.append(f'  const MPI_Comm freed_ = ftmpi::to_real({FREED_COMMS[fn.name]}_before);')
    entry = COLLECTIVE_ENTRY.get(fn.name)
    if entry is None and fn.cls == 'coll' and not temp_request and fn.name not in PROGRESSIVE \
            and any(p.name == 'comm' and p.handle_role == 'in' for p in fn.params):
        entry = 'comm'
    if entry is not None:
        out.append(f'  if (const int entered = ftmpi::enter_collective({entry}); entered != MPI_SUCCESS) {{')
        out.append('    return entered;')
        out.append('  }')
    callee = f'ftmpi::progressive_{fn.name}' if fn.name in PROGRESSIVE else fn.name
    call = f'{callee}({", ".join(args)})'
    nonblocking = 'MPI_I' + fn.name[4].lower() + fn.name[5:]
    if entry == 'comm' and fn.name not in COLLECTIVE_ENTRY and nonblocking in ALL_NAMES:
        # The collective itself is carried out as its non-blocking twin, polled, so this
        # proxy keeps answering a quiesce while the other members catch up.
        out.append('  ftmpi::call_progress().in_collective = true;')
        out.append('  MPI_Request collective_ = MPI_REQUEST_NULL;')
        out.append(f'  int rc = {nonblocking}({", ".join(args + ["&collective_"])});')
        out.append('  if (rc == MPI_SUCCESS) {')
        out.append('    rc = ftmpi::progressive_MPI_Wait(&collective_, MPI_STATUS_IGNORE);')
        out.append('  }')
    elif fn.is_int_return:
        out.append(f'  const int rc = {call};')
    elif fn.ret in HANDLE_TYPES:
        out.append(f'  result_ = x.app_word({call});')
        out.append('  const int rc = MPI_SUCCESS;')
    else:
        out.append(f'  result_ = static_cast<std::uint64_t>(static_cast<std::int64_t>({call}));')
        out.append('  const int rc = MPI_SUCCESS;')
    out += always
    if fn.name in FREED_COMMS:
        success.append('    ftmpi::traffic().forget_comm(freed_);')
    if success or fn.name in COMPLETIONS or fn.name in RECEIVED:
        out.append('  if (rc == MPI_SUCCESS) {')
        out += success
        if fn.name in COMPLETIONS:
            out.append('    ' + COMPLETIONS[fn.name])
        if fn.name in RECEIVED:
            out.append('    x.received(status);')
        out.append('  }')
    out.append('  return x.finish(rc == MPI_SUCCESS) ? rc : MPI_ERR_BUFFER;')
    out.append('}')
    return '\n'.join(out)


def replay(fn):
    """The rank proxy's replay of one creation-log record after a restart: the call again,
    on the new MPI, with the handles it created bound to their old virtual values."""
    lines = [f'int replay_{fn.name}(ftmpi::ReplayContext& c, const ftmpi::LogRecord& r) {{',
             f'  if (r.args.size() != {len(fn.params)}) {{', '    return MPI_ERR_ARG;', '  }']
    args, post, waits = [], [], []
    for i, p in enumerate(fn.params):
        v, n, t, role = f'r.args[{i}]', f'a{i}', p.base, p.handle_role
        if role == 'in':
            lines.append(f'  const {t} {n} = c.handle<{t}>({v});')
            args.append(n)
        elif role == 'new':
            lines.append(f'  {t} {n} = ftmpi::HandleTraits<{t}>::null();')
            args.append(f'&{n}')
            post.append(f'    c.bind({v}, {n});')
        elif role == 'temp':
            lines.append(f'  MPI_Request {n} = MPI_REQUEST_NULL;')
            args.append(f'&{n}')
            waits.append(f'    PMPI_Wait(&{n}, MPI_STATUS_IGNORE);')
        elif role == 'inout':
            lines.append(f'  {t} {n} = c.handle<{t}>({v});')
            args.append(f'&{n}')
            post.append(f'    c.rebind({v}, {n});')
        elif role == 'in_array':
            lines.append(f'  std::vector<{t}> {n} = c.handles<{t}>({v});')
            args.append(f'{n}.data()')
        elif role is not None:
            raise NotForwardable(f'cannot replay {p.decl}')
        elif p.annotation == 'weights':
            lines.append(f'  std::vector<int> {n}_values;')
            lines.append(f'  const int* {n} = c.weights({v}, {n}_values);')
            args.append(n)
        elif p.annotation in ('len',) and p.dims.count('[') == 2:
            lines.append(f'  std::vector<int> {n} = c.array<int>({v});')
            args.append(f'reinterpret_cast<int(*)[3]>({n}.data())')
        elif p.annotation == 'len' or (p.is_array and p.base in INT_TYPES):
            lines.append(f'  std::vector<{t}> {n} = c.array<{t}>({v});')
            args.append(f'{n}.empty() ? nullptr : {n}.data()')
        elif p.base in INT_TYPES and p.pointers == 0 and not p.is_array:
            lines.append(f'  const {t} {n} = c.integer<{t}>({v});')
            args.append(n)
        elif p.base in INT_TYPES and p.pointers == 1:
            # keyvals and sizes: the value the call gave (or was given) last time
            lines.append(f'  {t} {n} = c.integer<{t}>({v});')
            args.append(f'&{n}')
            if fn.name.endswith('create_keyval') or fn.name == 'MPI_Keyval_create':
                post.append(f'    if (!c.same_keyval({v}, {n})) {{ return MPI_ERR_KEYVAL; }}')
        elif p.base.endswith('_function') or p.base.endswith('_fn'):
            lines.append(f'  auto* {n} = c.function<{t}*>({v});')
            args.append(n)
        elif p.base == 'char' and p.pointers == 1 and p.is_const:
            lines.append(f'  const std::string {n} = c.text({v});')
            args.append(f'{n}.c_str()')
        elif p.base == 'void' and p.pointers == 1:
            lines.append(f'  void* {n} = c.pointer({v});')
            args.append(n)
        elif p.base == 'MPI_Status':
            args.append('MPI_STATUS_IGNORE')
        else:
            raise NotForwardable(f'cannot replay {p.decl}')
    lines.append(f'  const int rc = P{fn.name}({", ".join(args)});')
    lines.append('  if (rc == MPI_SUCCESS) {')
    lines += waits + post
    lines.append('  }')
    lines.append('  return rc;')
    lines.append('}')
    return '\n'.join(lines)


def log_arg(fn, p):
    role = p.handle_role
    n = p.name
    if role == 'in':
        return f'record_.add_handle({n});'
    if role in ('new', 'inout'):
        # new: the virtual handle created; inout: the handle as it was before the call
        return f'record_.add_handle({"*" + n if role == "new" else "v_" + n});'
    if role == 'in_array':
        return f'record_.add_handles({n}, {p.extent});'
    if role in ('temp', 'out', 'out_array', 'inout_array'):
        return 'record_.add_none();'
    if p.annotation == 'weights':
        return f'record_.add_weights({n}, {p.extent}, MPI_UNWEIGHTED, MPI_WEIGHTS_EMPTY);'
    if p.annotation == 'len':
        if p.dims.count('[') == 2:  # int ranges[][3]
            return f'record_.add_array(&{n}[0][0], {p.extent});'
        return f'record_.add_array({n}, {p.extent});'
    if p.base == 'char' and p.pointers == 1:
        return f'record_.add_text({n});' if p.is_const else 'record_.add_none();'
    if p.base in INT_TYPES and p.pointers == 0 and not p.is_array:
        return f'record_.add_integer({n});'
    if p.base in INT_TYPES and p.pointers == 1:
        return f'if ({n} != nullptr) {{ record_.add_integer(*{n}); }} else {{ record_.add_none(); }}'
    if p.base == 'MPI_Status':
        return 'record_.add_none();'
    if p.pointers >= 1 or p.base.endswith('_function') or p.base.endswith('_fn'):
        return f'record_.add_pointer({n});'
    raise SpecError(f'{fn.name}: do not know how to record parameter {p.decl}')


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    spec, mpi_h, outdir = sys.argv[1:]
    functions = parse_spec(spec)
    os.makedirs(outdir, exist_ok=True)
    banner = '// Generated by libftmpi/mpi/gen_wrappers.py from mpi.spec. Do not edit.\n'

    hpp = [banner, '#pragma once', '', '#include <cstdint>', '#include <span>',
           '#include <string_view>', '', 'namespace ftmpi {', '',
           'enum class CallClass : std::uint8_t { ' + ', '.join(CLASSES) + ', count_ };',
           '', 'enum class CallId : std::uint16_t {']
    hpp += [f'  {fn.name},' for fn in functions]
    hpp += ['  count_', '};', '',
            f'inline constexpr std::size_t k_call_count = {len(functions)};', '',
            'struct CallInfo {', '  std::string_view name;', '  CallClass cls;',
            '  bool logged;  // recorded in the creation log',
            '  std::span<const std::string_view> params;', '};', '',
            '// The table entry of a call; id must be below CallId::count_.',
            'const CallInfo& call_info(CallId id) noexcept;',
            '// The name of a call class ("p2p").',
            'std::string_view call_class_name(CallClass cls) noexcept;', '',
            '}  // namespace ftmpi', '']
    with open(os.path.join(outdir, 'mpi_calls.hpp'), 'w') as f:
        f.write('\n'.join(hpp))

    cpp = [banner, '#include "mpi/mpi_calls.hpp"', '', '#include <array>', '',
           'namespace ftmpi {', 'namespace {', '']
    for fn in functions:
        names = ', '.join(f'"{p.name}"' for p in fn.params)
        cpp.append(f'constexpr std::string_view k_params_{fn.name}[] = {{{names}}};'
                   if fn.params else f'constexpr std::span<const std::string_view> k_params_{fn.name};')
    cpp += ['', 'constexpr std::array<CallInfo, k_call_count> k_calls = {{']
    for fn in functions:
        cpp.append(f'    {{"{fn.name}", CallClass::{fn.cls}, {str(fn.logged).lower()}, '
                   f'k_params_{fn.name}}},')
    cpp += ['}};', '', 'constexpr std::array<std::string_view, ' + str(len(CLASSES)) + '> k_classes = {'
            + ', '.join(f'"{c}"' for c in CLASSES) + '};', '', '}  // namespace', '',
            'const CallInfo& call_info(CallId id) noexcept { return k_calls[static_cast<std::size_t>(id)]; }',
            '',
            'std::string_view call_class_name(CallClass cls) noexcept {',
            '  return k_classes[static_cast<std::size_t>(cls)];', '}', '',
            '}  // namespace ftmpi', '']
    with open(os.path.join(outdir, 'mpi_calls.cpp'), 'w') as f:
        f.write('\n'.join(cpp))

    global ALL_NAMES
    ALL_NAMES = {fn.name for fn in functions}
    executors = {}
    for fn in functions:
        fn.executor_error = None
        if 'custom' in fn.flags or 'local' in fn.flags or 'appside' in fn.flags \
                or fn.name in CUSTOM_EXECUTORS:
            continue
        try:
            executors[fn.name] = executor(fn)
        except NotForwardable as e:
            fn.executor_error = str(e)
        except SpecError as e:
            sys.exit(f'{spec}:{fn.lineno}: {e}')
    for fn in functions:
        if 'custom' in fn.flags and 'appside' not in fn.flags:
            fn.executor_error = None

    ex = [banner, '// The rank proxy\'s half of every forwarded call (transparent mode).',
          '// NOLINTBEGIN', '#include <mpi.h>', '', '#include <array>', '#include <cstdint>',
          '#include <vector>', '', '#include "mpi/call_helpers.hpp"', '#include "mpi/handles.hpp"',
          '#include "mpi/call_stats.hpp"', '#include "mpi/mpi_calls.hpp"', '#include "proxy/exec.hpp"',
          '#include "proxy/custom_exec.hpp"', '#include "proxy/progress.hpp"',
          '#include "proxy/quiesce.hpp"', '',
          'namespace ftmpi {', 'namespace {', '']
    for fn in functions:
        if fn.name in executors:
            ex.append(executors[fn.name])
            ex.append('')
    ex += ['}  // namespace', '',
           'const ExecutorEntry& executor(std::uint16_t call) noexcept {',
           '  static const std::array<ExecutorEntry, k_call_count> table = {{']
    for fn in functions:
        if fn.name in executors:
            ex.append(f'      {{&exec_{fn.name}, {str(fn.is_int_return).lower()}}},')
        elif ('custom' in fn.flags and 'appside' not in fn.flags) or fn.name in CUSTOM_EXECUTORS:
            ex.append(f'      {{&exec_custom_{fn.name}, true}},')
        else:
            ex.append('      {nullptr, true},')
    ex += ['  }};', '  static const ExecutorEntry none{nullptr, true};',
           '  return call < table.size() ? table[call] : none;', '}', '',
           '}  // namespace ftmpi', '// NOLINTEND', '']
    with open(os.path.join(outdir, 'mpi_executors.cpp'), 'w') as f:
        f.write('\n'.join(ex))

    rp = [banner, '// Replays of the creation log after a restart (transparent mode).',
          '// NOLINTBEGIN', '#include <mpi.h>', '', '#include <array>', '#include <string>',
          '#include <vector>', '', '#include "mpi/mpi_calls.hpp"', '#include "proxy/replay.hpp"', '',
          'namespace ftmpi {', 'namespace {', '']
    replayable = []
    for fn in functions:
        if fn.logged and 'custom' not in fn.flags:
            try:
                rp.append(replay(fn))
                rp.append('')
                replayable.append(fn.name)
            except NotForwardable:
                pass
    rp += ['}  // namespace', '',
           'Replayer replayer(CallId call) noexcept {',
           '  static const std::array<Replayer, k_call_count> table = {']
    for fn in functions:
        rp.append(f'      &replay_{fn.name},' if fn.name in replayable else '      nullptr,')
    rp += ['  };', '  return static_cast<std::size_t>(call) < table.size() ? table[static_cast<std::size_t>(call)] : nullptr;',
           '}', '', '}  // namespace ftmpi', '// NOLINTEND', '']
    with open(os.path.join(outdir, 'mpi_replay.cpp'), 'w') as f:
        f.write('\n'.join(rp))
    refused = sorted(f'{fn.name}: {fn.executor_error}' for fn in functions if fn.executor_error)
    with open(os.path.join(outdir, 'transparent_refused.txt'), 'w') as f:
        f.write('\n'.join(refused) + '\n')

    wrappers = [banner, '// NOLINTBEGIN', '#include <mpi.h>', '', '#include <utility>', '',
                '#include "mpi/call_helpers.hpp"', '#include "mpi/call_stats.hpp"',
                '#include "mpi/creation_log.hpp"', '#include "mpi/forward.hpp"',
                '#include "mpi/handles.hpp"', '']
    for fn in functions:
        if 'custom' in fn.flags:
            continue
        try:
            wrappers.append(wrapper(fn))
        except SpecError as e:
            sys.exit(f'{spec}:{fn.lineno}: {e}')
        wrappers.append('')
    wrappers.append('// NOLINTEND')
    with open(os.path.join(outdir, 'mpi_wrappers.cpp'), 'w') as f:
        f.write('\n'.join(wrappers))

    objects, callbacks = predefined_symbols(mpi_h)
    pre = [banner, '// The names of MPI\'s predefined objects and callbacks, in a fixed order:',
           '// transparent mode translates predefined handles between the application and its',
           '// proxy by their place in this list (mpi/mpi_library.hpp).',
           '#include <cstddef>', '', 'namespace ftmpi {', '',
           'const char* const* predefined_symbols(std::size_t& count) noexcept {',
           '  static const char* const names[] = {']
    pre += [f'      "{n}",' for n in objects + callbacks]
    pre += ['  };', '  count = sizeof names / sizeof names[0];', '  return names;', '}', '',
            '}  // namespace ftmpi', '']
    with open(os.path.join(outdir, 'mpi_predefined.cpp'), 'w') as f:
        f.write('\n'.join(pre))

    covered = {fn.name for fn in functions}
    stubs = [banner, '// Every MPI function mpi.h declares that ftmpi does not cover: calling one',
             '// stops the job with its name instead of bypassing ftmpi.  No mpi.h here: the',
             '// stubs never read their arguments, so a variadic definition serves all.',
             '// NOLINTBEGIN', '#include "mpi/unsupported.hpp"', '']
    missing = [n for n in declared_functions(mpi_h) if n not in covered]
    for name in missing:
        stubs.append(f'extern "C" int {name}(...) {{ ftmpi::unsupported_call("{name}"); }}')
    stubs.append('// NOLINTEND')
    with open(os.path.join(outdir, 'mpi_unsupported.cpp'), 'w') as f:
        f.write('\n'.join(stubs) + '\n')
    print(f'gen_wrappers: {len(functions)} calls covered, {len(missing)} refused; '
          f'{len(refused)} not forwarded in transparent mode')


if __name__ == '__main__':
    main()
