#!/usr/bin/env python3
"""Generates libftmpi's MPI wrappers from mpi.spec (see docs/interposition.md).

  gen_wrappers.py SPEC MPI_H OUTDIR

writes into OUTDIR:
  mpi_calls.hpp       CallId (one per spec entry), call classes, names, parameter names
  mpi_calls.cpp       the call table
  mpi_wrappers.cpp    one extern "C" wrapper per non-custom spec entry
  mpi_unsupported.cpp a stub that stops the job, naming the call, for every other MPI_
                      function MPI_H declares
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


class SpecError(Exception):
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
        if self.annotation not in (None, 'new', 'temp', 'inout', 'out', 'in', 'len', 'weights'):
            raise SpecError(f'unknown annotation @{self.annotation} on {self.name}')
        if self.annotation in ('in', 'len', 'weights') or (
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
            elif w in ('custom', 'preinit', 'log'):
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


def decl_list(fn):
    parts = [p.decl for p in fn.params]
    if fn.variadic:
        parts.append('...')
    return ', '.join(parts) if parts else 'void'


def wrapper(fn):
    out = []
    add = out.append
    add(f'extern "C" {fn.ret} {fn.name}({decl_list(fn)}) {{')
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

    wrappers = [banner, '// NOLINTBEGIN', '#include <mpi.h>', '', '#include <utility>', '',
                '#include "mpi/call_helpers.hpp"', '#include "mpi/call_stats.hpp"',
                '#include "mpi/creation_log.hpp"', '#include "mpi/handles.hpp"', '']
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
    print(f'gen_wrappers: {len(functions)} calls covered, {len(missing)} refused')


if __name__ == '__main__':
    main()
