import { describe, expect, it } from 'vitest'
import { withSection } from './doc-section.ts'

const DOC = [
  '# Benchmarks',
  '',
  '## Playback sync',
  '',
  'old run',
  '',
  '### An A/B pair (2026-12-05)',
  '',
  'kept by hand',
  '',
  '## Streaming',
  '',
  'other bench',
  '',
].join('\n')

describe('withSection', () => {
  it('replaces the text before the subsections and keeps them, and the next section', () => {
    const next = withSection(DOC, 'Playback sync', '## Playback sync\n\nnew run\n')
    expect(next).toBe(
      [
        '# Benchmarks',
        '',
        '## Playback sync',
        '',
        'new run',
        '',
        '### An A/B pair (2026-12-05)',
        '',
        'kept by hand',
        '',
        '## Streaming',
        '',
        'other bench',
        '',
      ].join('\n'),
    )
  })

  it('replaces a subsection that the new text writes itself, and keeps the others in their order', () => {
    const doc = DOC.replace('### An A/B pair', '### A starved hold\n\nold hold\n\n### An A/B pair')
    const next = withSection(
      doc,
      'Playback sync',
      '## Playback sync\n\nnew run\n\n### A starved hold\n\nnew hold\n',
    )
    expect(next).toContain(
      'new run\n\n### A starved hold\n\nnew hold\n\n### An A/B pair (2026-12-05)\n\nkept by hand\n',
    )
    expect(next).not.toContain('old hold')
  })

  it('replaces a section without subsections whole, at the end of the document too', () => {
    expect(withSection(DOC, 'Streaming', '## Streaming\n\nnew\n')).toBe(DOC.replace('other bench\n', 'new\n'))
  })

  it('appends a missing section', () => {
    expect(withSection('# Benchmarks\n', 'Hashing', '## Hashing\n\nfirst\n')).toBe(
      '# Benchmarks\n\n## Hashing\n\nfirst\n',
    )
  })
})
