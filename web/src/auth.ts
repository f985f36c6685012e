import { api, type User } from './api';
import { errorText, field, h, notice } from './ui';

/** Sign in / register form; `onDone` runs with the signed-in user. */
export function authForm(onDone: (user: User) => void, heading = 'Sign in'): HTMLElement {
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    minlength: '3',
    maxlength: '32',
    pattern: '[A-Za-z0-9_.\\-]+',
  });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    minlength: '8',
    maxlength: '128',
  });
  const status = notice();
  const submit = async (mode: 'login' | 'register') => {
    if (!form.reportValidity()) return;
    status.say(mode === 'login' ? 'Signing in…' : 'Creating your account…');
    try {
      const user =
        mode === 'login'
          ? await api.login(username.value, password.value)
          : await api.register(username.value, password.value);
      status.say('');
      onDone(user);
    } catch (err) {
      status.say(errorText(err), true);
    }
  };
  const form = h(
    'form',
    {
      class: 'auth card',
      'aria-label': heading,
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void submit('login');
      },
    },
    h('h2', {}, heading),
    field('Username', username),
    field('Password', password, 'At least 8 characters.'),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
      h('button', { type: 'button', onclick: () => void submit('register') }, 'Register'),
    ),
    status.el,
  );
  return form;
}
