import { useState, type ReactNode, type SyntheticEvent } from "react";
import type { IssuedLink, Role, User } from "../api/api-types.ts";
import { useSession } from "../api/session-context.ts";
import { asProblem, useApiData } from "../api/use-api-data.ts";
import { DateText } from "../components/date-text.tsx";
import { FormError } from "../components/form-error.tsx";
import { LoadState } from "../components/load-state.tsx";
import { TextField } from "../components/text-field.tsx";
import { fieldErrorsOf, hasErrors, type FieldErrors } from "../forms/field-errors.ts";
import { ROLES, UserManagePanel } from "./user-manage-panel.tsx";
import { TableScroll } from "../components/table-scroll.tsx";

/** People: who has an account, with which role; managing one; inviting someone. */
export function UsersScreen(): ReactNode {
  const { api } = useSession();
  const users = useApiData<{ users: User[] }>(api, "/api/users");
  const [selected, setSelected] = useState<string | null>(null);
  const chosen =
    selected === null || users.status !== "ready"
      ? null
      : (users.data.users.find((user) => user.id === selected) ?? null);
  return (
    <>
      <h1 tabIndex={-1}>Users</h1>
      <div className="panels">
        <section className="panel wide" aria-labelledby="user-list-heading">
          <h2 id="user-list-heading">People</h2>
          <LoadState loaded={users} what="users" isEmpty={(data) => data.users.length === 0}>
            {(data) => (
              <TableScroll label="People table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Person</th>
                      <th scope="col">Role</th>
                      <th scope="col">Status</th>
                      <th scope="col">2FA</th>
                      <th scope="col">Since</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.users.map((user) => (
                      <tr key={user.id}>
                        <th scope="row">
                          {user.name ?? user.email}
                          {user.name === null ? null : <p className="hint">{user.email}</p>}
                        </th>
                        <td>{user.role}</td>
                        <td>
                          <span className={`badge badge-${user.status === "active" ? "ok" : "error"}`}>
                            {user.status}
                          </span>
                        </td>
                        <td>{user.twoFactor ? "on" : "off"}</td>
                        <td>
                          <DateText value={user.createdAt} />
                        </td>
                        <td>
                          <button
                            type="button"
                            aria-pressed={selected === user.id}
                            onClick={() => {
                              setSelected(user.id);
                            }}
                          >
                            Manage<span className="visually-hidden"> {user.name ?? user.email}</span>
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </LoadState>
        </section>
        {chosen === null ? null : (
          <UserManagePanel
            key={chosen.id}
            user={chosen}
            onChanged={users.reload}
            onClose={() => {
              setSelected(null);
            }}
          />
        )}
        <section className="panel">
          <InviteForm />
        </section>
      </div>
    </>
  );
}

type Field = "email" | "role";

function InviteForm(): ReactNode {
  const { api } = useSession();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [errors, setErrors] = useState<FieldErrors<Field>>({});
  const [issued, setIssued] = useState<IssuedLink | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: SyntheticEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const invalid: FieldErrors<Field> = {};
    const address = email.trim();
    if (address === "") invalid.email = "Enter the person's e-mail address.";
    else if (address.length > 320 || !/^[^\s@]+@[^\s@]+$/.test(address))
      invalid.email = "Enter a valid e-mail address.";
    setErrors(invalid);
    if (hasErrors(invalid)) return;
    setBusy(true);
    try {
      setIssued(await api.send<IssuedLink>("POST", "/api/invitations", { email: address, role }));
      setEmail("");
    } catch (error) {
      setErrors(
        fieldErrorsOf(asProblem(error), ["email", "role"], { UserExists: "email", InvalidEmail: "email" }),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <form noValidate onSubmit={(event) => void submit(event)} aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      <FormError message={errors.form} />
      <TextField
        id="invite-email"
        label="E-mail address"
        type="email"
        required
        value={email}
        onChange={setEmail}
        error={errors.email}
      />
      <div className="field">
        <label htmlFor="invite-role">Role</label>
        <select
          id="invite-role"
          value={role}
          onChange={(event) => {
            setRole(event.target.value as Role);
          }}
        >
          {ROLES.map((item) => (
            <option key={item} value={item}>
              {item}
            </option>
          ))}
        </select>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Invite
        </button>
      </div>
      {issued === null ? null : (
        <div role="status" className="notice-inline">
          <p>
            Invitation made (valid 7 days
            {issued.delivery.status === "sent" ? ", e-mailed" : ", not e-mailed: send the link yourself"}):
          </p>
          <p className="break">
            <code>{issued.url}</code>
          </p>
        </div>
      )}
    </form>
  );
}
