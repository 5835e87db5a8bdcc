// The patches behind the simulator's PATCH /api/v1/applications/{name} (patchType merge or json), as Argo CD
// applies them: RFC 7386 merge patch and RFC 6902 JSON patch, refusing what Argo CD refuses with its messages.
// transport.test.ts drives the route over HTTP; this covers every operation and error of the two formats.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/argocd-sim/api-error.js';
import { jsonPatch, mergePatch } from '../../src/argocd-sim/patch.js';

function refusal(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return { code: (err as ApiError).code, message: (err as ApiError).message };
  }
  throw new Error('expected a refusal');
}

describe('mergePatch (RFC 7386)', () => {
  it('merges objects, deletes on null, replaces arrays and scalars whole, and leaves the target alone', () => {
    const target = { a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2] };
    expect(mergePatch(target, { a: 'z', c: { f: null }, list: [3], n: { deep: true } })).toEqual({ a: 'z', c: { d: 'e' }, list: [3], n: { deep: true } });
    expect(target).toEqual({ a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2] });
    expect(mergePatch({ a: 1 }, 'whole')).toBe('whole');
    expect(mergePatch({ a: 1 }, [1])).toEqual([1]);
    expect(mergePatch('scalar', { a: 1 })).toEqual({ a: 1 });
  });
});

describe('jsonPatch (RFC 6902)', () => {
  it('applies add, remove, replace, move, copy and test in order, with ~0/~1 escapes, on a copy', () => {
    const doc = { foo: ['bar', 'baz'], q: { a: 1 }, r: 'old' };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/foo/1', value: 'qux' },
      { op: 'move', from: '/foo/2', path: '/moved' },
      { op: 'add', path: '/foo/-', value: 'end' },
      { op: 'remove', path: '/q/a' },
      { op: 'replace', path: '/r', value: 'new' },
      { op: 'copy', from: '/foo/0', path: '/copied' },
      { op: 'test', path: '/copied', value: 'bar' },
      { op: 'add', path: '/a~1b~0c', value: 1 },
    ]);
    expect(out).toEqual({ foo: ['bar', 'qux', 'end'], q: {}, r: 'new', moved: 'baz', copied: 'bar', 'a/b~c': 1 });
    expect(doc).toEqual({ foo: ['bar', 'baz'], q: { a: 1 }, r: 'old' });
    expect(jsonPatch(doc, [{ op: 'replace', path: '', value: { whole: true } }])).toEqual({ whole: true });
  });

  it("refuses with InvalidArgument and Argo CD's messages", () => {
    const doc = { spec: { source: { targetRevision: 'main' } }, list: [1] };
    expect(refusal(() => jsonPatch(doc, { op: 'add' }))).toEqual({ code: 3, message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' });
    expect(refusal(() => jsonPatch(doc, [{ op: 'replace', path: '/spec/nope', value: 1 }]))).toEqual({ code: 3, message: 'doc is missing path: "/spec/nope": missing value' });
    expect(refusal(() => jsonPatch(doc, [{ op: 'remove', path: '/nope' }]))).toEqual({ code: 3, message: 'doc is missing path: "/nope": missing value' });
    expect(refusal(() => jsonPatch(doc, [{ op: 'test', path: '/spec/source/targetRevision', value: 'v2' }]))).toEqual({
      code: 3,
      message: 'testing value /spec/source/targetRevision failed: test failed',
    });
    expect(refusal(() => jsonPatch(doc, [{ op: 'add', path: '/list/5', value: 2 }])).message).toBe('add operation does not apply: doc is missing path: "/list/5"');
    expect(refusal(() => jsonPatch(doc, [{ op: 'add', path: 'spec', value: 1 }])).message).toBe('JSON pointer must be empty or start with a "/": spec');
    expect(refusal(() => jsonPatch(doc, [{ op: 'frobnicate', path: '/x' }])).message).toBe('Unexpected kind: frobnicate');
  });
});
