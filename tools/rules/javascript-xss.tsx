// TypeScript/TSX test cases for javascript-xss.yaml (semgrep --test). Deliberately vulnerable code.
import DOMPurify from 'dompurify';
import type { Request, Response } from 'express';

type Props = { html: string; title: string };

export function Article({ html, title }: Props): JSX.Element {
  // ruleid: javascript-react-dangerously-set-inner-html
  const markup = { __html: html };
  return (
    <article>
      <h1>{title}</h1>
      <section dangerouslySetInnerHTML={markup} />
      {footer(html)}
    </article>
  );
}

function footer(html: string): JSX.Element {
  // ok: javascript-react-dangerously-set-inner-html
  return <footer dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(html) }} />;
}

export function preview(el: HTMLElement, value: string): void {
  // ruleid: javascript-dom-xss-html-sink
  el.innerHTML = `<div class="preview">${value}</div>`;
  // ok: javascript-dom-xss-html-sink
  el.innerHTML = DOMPurify.sanitize(value) as string;
}

// A typed Express handler (in a .tsx file only to keep the test files few).
export const greet = (req: Request, res: Response): void => {
  // ruleid: javascript-express-reflected-xss
  res.send(`<h1>Hi ${req.query.name as string}</h1>`);
};
