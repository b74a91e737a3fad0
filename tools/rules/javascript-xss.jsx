// Test cases for javascript-xss.yaml (semgrep --test). Deliberately vulnerable code: never run it.
import React from 'react';
import DOMPurify from 'dompurify';

export function renderSearch() {
  const params = new URLSearchParams(window.location.search);
  const q = params.get('q');
  const out = document.getElementById('out');
  // ruleid: javascript-dom-xss-html-sink
  out.innerHTML = '<h2>Results for ' + q + '</h2>';
  // ruleid: javascript-dom-xss-html-sink
  out.innerHTML += `<li>${q}</li>`;
  // ruleid: javascript-dom-xss-html-sink
  document.querySelector('#banner').outerHTML = localStorage.getItem('banner');
  // ruleid: javascript-dom-xss-html-sink
  out.insertAdjacentHTML('beforeend', q);
  // ruleid: javascript-dom-xss-html-sink
  document.write('<script src="' + q + '"></script>');
  // ruleid: javascript-dom-xss-html-sink
  frame.srcdoc = location.hash.slice(1);

  // ok: javascript-dom-xss-html-sink
  out.innerHTML = '';
  // ok: javascript-dom-xss-html-sink
  out.innerHTML = '<p>Loading...</p>';
  const TEMPLATE = '<ul class="results"></ul>';
  // ok: javascript-dom-xss-html-sink
  out.innerHTML = TEMPLATE;
  // ok: javascript-dom-xss-html-sink
  out.innerHTML = DOMPurify.sanitize(q);
  // ok: javascript-dom-xss-html-sink
  out.textContent = q;
  // ok: javascript-dom-xss-html-sink
  document.write('<p>static</p>');
}

export function Comment({ comment }) {
  // JSX children cannot hold // comments, so each case is its own element.
  // ruleid: javascript-react-dangerously-set-inner-html
  const unsafe = <p dangerouslySetInnerHTML={{ __html: comment.body }} />;
  // ok: javascript-react-dangerously-set-inner-html
  const clean = <p dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(comment.body) }} />;
  // ok: javascript-react-dangerously-set-inner-html
  const rule = <p dangerouslySetInnerHTML={{ __html: '<hr/>' }} />;
  // ok: javascript-react-dangerously-set-inner-html
  const text = <p>{comment.body}</p>;
  return <div className="comment">{unsafe}{clean}{rule}{text}</div>;
}

export function Legacy(props) {
  // ruleid: javascript-react-dangerously-set-inner-html
  return React.createElement('div', { dangerouslySetInnerHTML: { __html: props.html } });
}
