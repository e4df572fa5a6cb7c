<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru">
<context>
    <name>AudioPage</name>
    <message>
        <source>Audio processing</source>
        <translation>Обработка звука</translation>
    </message>
    <message>
        <source>Echo cancellation</source>
        <translation>Подавление эха</translation>
    </message>
    <message>
        <source>Keeps the others from hearing themselves through your speakers. Turn it off only with headphones or a speakerphone that cancels echo itself.</source>
        <translation>Собеседники не слышат самих себя из ваших динамиков. Выключайте только в наушниках или со спикерфоном, который сам подавляет эхо.</translation>
    </message>
    <message>
        <source>Noise suppression</source>
        <translation>Шумоподавление</translation>
    </message>
    <message>
        <source>Removes steady noise such as fans and traffic. Turn it off to play music.</source>
        <translation>Убирает ровный шум: вентиляторы, улицу. Выключите, чтобы играть музыку.</translation>
    </message>
    <message>
        <source>Automatic gain control</source>
        <translation>Автоматическая регулировка усиления</translation>
    </message>
    <message>
        <source>Keeps your voice at an even level. Turn it off if you set your microphone&apos;s level yourself.</source>
        <translation>Держит громкость голоса ровной. Выключите, если настраиваете уровень микрофона сами.</translation>
    </message>
    <message>
        <source>High-pass filter</source>
        <translation>Фильтр верхних частот</translation>
    </message>
    <message>
        <source>Removes low rumble and hum. Turn it off for a bass instrument.</source>
        <translation>Убирает низкий гул и фон. Выключите для бас-гитары и других низких инструментов.</translation>
    </message>
</context>
<context>
    <name>AuthView</name>
    <message>
        <source>Sign in</source>
        <translation>Войти</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>Имя пользователя</translation>
    </message>
    <message>
        <source>Sign in</source>
        <comment>heading</comment>
        <translation>Вход</translation>
    </message>
    <message>
        <source>Sign in or create an account to join the call you were invited to.</source>
        <translation>Войдите или создайте учётную запись, чтобы присоединиться к звонку, на который вас пригласили.</translation>
    </message>
    <message>
        <source>e.g. ada</source>
        <translation>например, ada</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>Электронная почта</translation>
    </message>
    <message>
        <source>you@example.org</source>
        <translation>you@example.org</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Create an account</source>
        <translation>Зарегистрироваться</translation>
    </message>
    <message>
        <source>Change server</source>
        <translation>Сменить сервер</translation>
    </message>
    <message>
        <source>Server: {url}</source>
        <translation>Сервер: {url}</translation>
    </message>
    <message>
        <source>Create your account</source>
        <translation>Регистрация</translation>
    </message>
    <message>
        <source>I already have an account</source>
        <translation>У меня уже есть аккаунт</translation>
    </message>
    <message>
        <source>Enter your password</source>
        <translation>Введите пароль</translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation>Подождите…</translation>
    </message>
    <message>
        <source>Create account</source>
        <translation>Создать аккаунт</translation>
    </message>
    <message>
        <source>No secure keyring on this computer: you will need to sign in again next time</source>
        <translation>На этом компьютере нет защищённого хранилища паролей: в следующий раз придётся войти снова</translation>
    </message>
</context>
<context>
    <name>Background</name>
    <message>
        <source>Background effects are not available: the person detection model cannot run on this computer.</source>
        <translation>Эффекты фона недоступны: модель распознавания человека не может работать на этом компьютере.</translation>
    </message>
    <message>
        <source>This file cannot be read as a picture. Choose a PNG or JPEG image.</source>
        <translation>Этот файл не удаётся прочитать как изображение. Выберите изображение PNG или JPEG.</translation>
    </message>
    <message>
        <source>No effect</source>
        <translation>Без эффекта</translation>
    </message>
    <message>
        <source>Blur</source>
        <translation>Размытие</translation>
    </message>
    <message>
        <source>Image</source>
        <translation>Изображение</translation>
    </message>
    <message>
        <source>Choose a background image</source>
        <translation>Выберите изображение для фона</translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg)</source>
        <translation>Изображения (*.png *.jpg *.jpeg)</translation>
    </message>
</context>
<context>
    <name>BackgroundSection</name>
    <message>
        <source>Background</source>
        <translation>Фон</translation>
    </message>
    <message>
        <source>Choose image…</source>
        <translation>Выбрать изображение…</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Вы</translation>
    </message>
    <message>
        <source>Blur what is behind you, or put a picture there, in the video you send.</source>
        <translation>Размойте то, что позади вас, или поставьте туда изображение — в видео, которое вы отправляете.</translation>
    </message>
    <message>
        <source>Image: {name}</source>
        <translation>Изображение: {name}</translation>
    </message>
</context>
<context>
    <name>CalendarTexts</name>
    <message numerus="yes">
        <source>+%n more</source>
        <translation>
            <numerusform>ещё %n</numerusform>
            <numerusform>ещё %n</numerusform>
            <numerusform>ещё %n</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n meeting(s)</source>
        <translation>
            <numerusform>%n встреча</numerusform>
            <numerusform>%n встречи</numerusform>
            <numerusform>%n встреч</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>In %n min, {time}</source>
        <translation>
            <numerusform>Через %n минуту, {time}</numerusform>
            <numerusform>Через %n минуты, {time}</numerusform>
            <numerusform>Через %n минут, {time}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Awaiting your answer: %n</source>
        <translation>
            <numerusform>Ждут вашего ответа: %n</numerusform>
            <numerusform>Ждут вашего ответа: %n</numerusform>
            <numerusform>Ждут вашего ответа: %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CalendarView</name>
    <message>
        <source>Back</source>
        <translation>Назад</translation>
    </message>
    <message>
        <source>Previous</source>
        <translation>Назад</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Сегодня</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Вперёд</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>Месяц</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>Неделя</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>День</translation>
    </message>
    <message>
        <source>Open .ics…</source>
        <translation>Открыть .ics…</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>Запланировать</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <source>Could not load your meetings. {reason}</source>
        <translation>Не удалось загрузить ваши встречи. {reason}</translation>
    </message>
    <message>
        <source>Meeting saved</source>
        <translation>Встреча сохранена</translation>
    </message>
    <message>
        <source>Open a calendar file</source>
        <translation>Открыть файл календаря</translation>
    </message>
    <message>
        <source>Calendar files (*.ics)</source>
        <translation>Файлы календаря (*.ics)</translation>
    </message>
    <message>
        <source>This file has no meeting this app can read.</source>
        <translation>В этом файле нет встречи, которую может прочитать приложение.</translation>
    </message>
</context>
<context>
    <name>CallDevices</name>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Микрофон</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>Динамик</translation>
    </message>
    <message>
        <source>{device} was disconnected; using the system default</source>
        <translation>{device}: устройство отключено, используется устройство по умолчанию</translation>
    </message>
    <message>
        <source>The camera was disconnected; using the system default</source>
        <translation>Камера отключена, используется камера по умолчанию</translation>
    </message>
    <message>
        <source>The microphone was disconnected; using the system default</source>
        <translation>Микрофон отключён, используется микрофон по умолчанию</translation>
    </message>
    <message>
        <source>The speaker was disconnected; using the system default</source>
        <translation>Динамик отключён, используется динамик по умолчанию</translation>
    </message>
    <message>
        <source>{device} is connected again</source>
        <translation>{device}: устройство снова подключено</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Как в системе</translation>
    </message>
</context>
<context>
    <name>CallEnded</name>
    <message>
        <source>{host} removed you from the meeting</source>
        <translation>{host} удалил(а) вас со встречи</translation>
    </message>
    <message>
        <source>A host removed you from the meeting</source>
        <translation>Организатор удалил вас со встречи</translation>
    </message>
    <message>
        <source>The host did not let you in</source>
        <translation>Организатор не впустил вас</translation>
    </message>
    <message>
        <source>{host} ended the meeting for everyone</source>
        <translation>{host} завершил(а) встречу для всех</translation>
    </message>
    <message>
        <source>The host ended the meeting for everyone</source>
        <translation>Организатор завершил встречу для всех</translation>
    </message>
    <message>
        <source>The meeting ended: its room was deleted</source>
        <translation>Встреча завершена: её комната удалена</translation>
    </message>
</context>
<context>
    <name>CallEndedNotice</name>
    <message>
        <source>Could not join</source>
        <translation>Не удалось присоединиться</translation>
    </message>
    <message>
        <source>The call ended</source>
        <translation>Звонок завершён</translation>
    </message>
</context>
<context>
    <name>CallView</name>
    <message>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>Call statistics</source>
        <translation>Статистика звонка</translation>
    </message>
    <message>
        <source>Room {room}</source>
        <translation>Комната {room}</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Вы</translation>
    </message>
    <message>
        <source>{name} joined</source>
        <translation>{name} присоединяется к звонку</translation>
    </message>
    <message>
        <source>{name} left</source>
        <translation>{name} покидает звонок</translation>
    </message>
    <message>
        <source>{name} (presenting)</source>
        <translation>{name} (показывает экран)</translation>
    </message>
    <message>
        <source>Disconnected from the server</source>
        <translation>Соединение с сервером прервано</translation>
    </message>
    <message>
        <source>You are muted. Press {key} to unmute.</source>
        <translation>Ваш микрофон выключен. Нажмите {key}, чтобы включить.</translation>
    </message>
    <message>
        <source>Could not join the call ({reason})</source>
        <translation>Не удалось присоединиться к звонку ({reason})</translation>
    </message>
</context>
<context>
    <name>ChatTab</name>
    <message>
        <source>Messages here are seen by everyone in the meeting, and go when it ends.</source>
        <translation>Сообщения здесь видят все участники встречи; они удаляются, когда встреча заканчивается.</translation>
    </message>
    <message>
        <source>Send to</source>
        <translation>Кому отправить</translation>
    </message>
    <message>
        <source>Everyone</source>
        <translation>Всем</translation>
    </message>
    <message>
        <source>To:</source>
        <translation>Кому:</translation>
    </message>
    <message>
        <source>Send a file (or drop it on the chat)</source>
        <translation>Отправить файл (или перетащите его в чат)</translation>
    </message>
    <message>
        <source>Send a file</source>
        <translation>Отправить файл</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>Отправить (Enter)</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <source>Message everyone</source>
        <translation>Сообщение для всех</translation>
    </message>
    <message>
        <source>Message {name} privately</source>
        <translation>Личное сообщение для {name}</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Вы</translation>
    </message>
    <message>
        <source>Privately</source>
        <translation>Лично</translation>
    </message>
    <message>
        <source>Privately to {name}</source>
        <translation>Лично для {name}</translation>
    </message>
    <message>
        <source>Privately to you</source>
        <translation>Лично вам</translation>
    </message>
    <message>
        <source>Too long to send: {count} of {limit} characters</source>
        <translation>Слишком длинное сообщение: {count} из {limit} символов</translation>
    </message>
    <message>
        <source>Save file</source>
        <translation>Сохранить файл</translation>
    </message>
</context>
<context>
    <name>CloseDuringCallDialog</name>
    <message>
        <source>Close NIMeet</source>
        <translation>Закрыть NIMeet</translation>
    </message>
    <message>
        <source>Leave the call or keep it running in the tray?</source>
        <translation>Покинуть звонок или оставить его в трее?</translation>
    </message>
    <message>
        <source>In the tray the call goes on: people still hear and see you. Open NIMeet from the tray icon.</source>
        <translation>В трее звонок продолжается: вас по-прежнему слышат и видят. Откройте NIMeet значком в трее.</translation>
    </message>
    <message>
        <source>Remember my choice</source>
        <translation>Запомнить выбор</translation>
    </message>
    <message>
        <source>Leave the call</source>
        <translation>Покинуть звонок</translation>
    </message>
    <message>
        <source>Keep in tray</source>
        <translation>Оставить в трее</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
</context>
<context>
    <name>ControlBar</name>
    <message>
        <source>{action} ({key})</source>
        <translation>{action} ({key})</translation>
    </message>
    <message>
        <source>Turn off microphone</source>
        <translation>Выключить микрофон</translation>
    </message>
    <message>
        <source>Turn on microphone</source>
        <translation>Включить микрофон</translation>
    </message>
    <message>
        <source>Turn off camera</source>
        <translation>Выключить камеру</translation>
    </message>
    <message>
        <source>Turn on camera</source>
        <translation>Включить камеру</translation>
    </message>
    <message>
        <source>Choose microphone and speaker</source>
        <translation>Выбрать микрофон и динамик</translation>
    </message>
    <message>
        <source>Choose camera</source>
        <translation>Выбрать камеру</translation>
    </message>
    <message>
        <source>Leave the call</source>
        <translation>Покинуть звонок</translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation>Скопировать ссылку-приглашение</translation>
    </message>
    <message>
        <source>Send a reaction</source>
        <translation>Отправить реакцию</translation>
    </message>
    <message>
        <source>People</source>
        <translation>Участники</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Чат</translation>
    </message>
    <message>
        <source>Stop sharing your screen</source>
        <translation>Остановить демонстрацию экрана</translation>
    </message>
    <message>
        <source>Share your screen</source>
        <translation>Показать экран</translation>
    </message>
    <message numerus="yes">
        <source>%n participant(s) in the call</source>
        <translation>
            <numerusform>%n участник в звонке</numerusform>
            <numerusform>%n участника в звонке</numerusform>
            <numerusform>%n участников в звонке</numerusform>
        </translation>
    </message>
    <message>
        <source>Lower your hand</source>
        <translation>Опустить руку</translation>
    </message>
    <message>
        <source>Raise your hand</source>
        <translation>Поднять руку</translation>
    </message>
    <message numerus="yes">
        <source>Chat: %n unread message(s)</source>
        <translation>
            <numerusform>Чат: %n непрочитанное сообщение</numerusform>
            <numerusform>Чат: %n непрочитанных сообщения</numerusform>
            <numerusform>Чат: %n непрочитанных сообщений</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>People: %n waiting to join</source>
        <translation>
            <numerusform>Участники: %n ждёт входа</numerusform>
            <numerusform>Участники: %n ждут входа</numerusform>
            <numerusform>Участники: %n ждут входа</numerusform>
        </translation>
    </message>
    <message>
        <source>Sharing needs an X11 session: on Wayland only a black picture is sent</source>
        <translation>Показ экрана работает в сеансе X11: в Wayland остальные увидят только чёрный экран</translation>
    </message>
    <message>
        <source>Screens</source>
        <translation>Экраны</translation>
    </message>
    <message>
        <source>No screen to share</source>
        <translation>Нет экрана для демонстрации</translation>
    </message>
    <message>
        <source>Windows</source>
        <translation>Окна</translation>
    </message>
</context>
<context>
    <name>DashboardView</name>
    <message>
        <source>Log out</source>
        <translation>Выйти</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>Calendar</source>
        <translation>Календарь</translation>
    </message>
    <message>
        <source>History</source>
        <translation>История</translation>
    </message>
    <message>
        <source>Your meetings and statistics</source>
        <translation>Ваши встречи и статистика</translation>
    </message>
    <message>
        <source>Recordings</source>
        <translation>Записи</translation>
    </message>
    <message>
        <source>The calls you recorded</source>
        <translation>Записанные вами звонки</translation>
    </message>
    <message>
        <source>New call</source>
        <translation>Новый звонок</translation>
    </message>
    <message>
        <source>Invite link or room id</source>
        <translation>Ссылка-приглашение или ID комнаты</translation>
    </message>
    <message>
        <source>Join</source>
        <translation>Присоединиться</translation>
    </message>
    <message>
        <source>Start or join a call</source>
        <translation>Начните звонок или присоединитесь к нему</translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation>Скопировать ссылку-приглашение</translation>
    </message>
    <message>
        <source>Join selected</source>
        <translation>Войти в комнату</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Изменить</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Recent rooms</source>
        <translation>Недавние комнаты</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <source>Could not load your rooms. {reason}</source>
        <translation>Не удалось загрузить комнаты. {reason}</translation>
    </message>
    <message>
        <source>No rooms yet: start a new call.</source>
        <translation>Комнат пока нет: начните новый звонок.</translation>
    </message>
    <message>
        <source>Only the room&apos;s owner can change or delete it</source>
        <translation>Изменить или удалить комнату может только её владелец</translation>
    </message>
    <message>
        <source>{name}&apos;s call</source>
        <translation>Звонок {name}</translation>
    </message>
    <message>
        <source>Room settings saved</source>
        <translation>Настройки комнаты сохранены</translation>
    </message>
    <message>
        <source>Delete room?</source>
        <translation>Удалить комнату?</translation>
    </message>
    <message>
        <source>Delete “{room}”?</source>
        <translation>Удалить «{room}»?</translation>
    </message>
    <message>
        <source>Anyone in it now leaves the call, and its invite link stops working. This cannot be undone.</source>
        <translation>Все, кто сейчас в ней, покинут звонок, а ссылка-приглашение перестанет работать. Это нельзя отменить.</translation>
    </message>
    <message>
        <source>Only the room&apos;s owner can delete it</source>
        <translation>Удалить комнату может только её владелец</translation>
    </message>
    <message>
        <source>Could not delete the room. {reason}</source>
        <translation>Не удалось удалить комнату. {reason}</translation>
    </message>
    <message>
        <source>Room deleted</source>
        <translation>Комната удалена</translation>
    </message>
</context>
<context>
    <name>DeleteQuestion</name>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
</context>
<context>
    <name>DeviceMessages</name>
    <message>
        <source>No camera was found</source>
        <translation>Камера не найдена</translation>
    </message>
    <message>
        <source>The camera is in use by another application</source>
        <translation>Камера занята другим приложением</translation>
    </message>
    <message>
        <source>The camera could not be opened</source>
        <translation>Не удалось включить камеру</translation>
    </message>
    <message>
        <source>The camera stopped working</source>
        <translation>Камера перестала работать</translation>
    </message>
    <message>
        <source>No microphone was found</source>
        <translation>Микрофон не найден</translation>
    </message>
    <message>
        <source>The microphone is in use by another application</source>
        <translation>Микрофон занят другим приложением</translation>
    </message>
    <message>
        <source>The microphone could not be opened</source>
        <translation>Не удалось включить микрофон</translation>
    </message>
    <message>
        <source>The microphone stopped working</source>
        <translation>Микрофон перестал работать</translation>
    </message>
    <message>
        <source>That screen is no longer connected</source>
        <translation>Этот экран больше не подключён</translation>
    </message>
    <message>
        <source>The screen cannot be shared right now</source>
        <translation>Сейчас не получается показать экран</translation>
    </message>
    <message>
        <source>The screen could not be shared</source>
        <translation>Не удалось начать демонстрацию экрана</translation>
    </message>
    <message>
        <source>Screen sharing stopped</source>
        <translation>Демонстрация экрана остановлена</translation>
    </message>
    <message>
        <source>The server ended your session: please sign in again</source>
        <translation>Сервер завершил ваш сеанс: войдите снова</translation>
    </message>
    <message>
        <source>The connection came back, but the call could not be rejoined</source>
        <translation>Связь восстановилась, но вернуться в звонок не удалось</translation>
    </message>
    <message>
        <source>“Relay only” is on, but this server offers no relay (TURN) server: nobody in the call can be reached. Turn it off in Settings → Server.</source>
        <translation>Включено «Только через ретранслятор», но этот сервер не предлагает ретранслятора (TURN): ни с кем в звонке не связаться. Выключите это в Настройках → Сервер.</translation>
    </message>
    <message>
        <source>The server&apos;s media router (SFU) does not answer: the others cannot see or hear you yet. Trying again…</source>
        <translation>Медиасервер (SFU) сервера не отвечает: другие пока не видят и не слышат вас. Пробуем снова…</translation>
    </message>
    <message>
        <source>Something went wrong in the call (details are in the log)</source>
        <translation>В звонке что-то пошло не так (подробности в журнале)</translation>
    </message>
</context>
<context>
    <name>DevicePickers</name>
    <message>
        <source>Microphone level</source>
        <translation>Уровень микрофона</translation>
    </message>
</context>
<context>
    <name>DevicesPage</name>
    <message>
        <source>Devices</source>
        <translation>Устройства</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Вы</translation>
    </message>
    <message>
        <source>Play test sound</source>
        <translation>Проверить звук</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Микрофон</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>Динамик</translation>
    </message>
    <message>
        <source>In a call, a device chosen here is used at once.</source>
        <translation>Во время звонка выбранное здесь устройство включается сразу.</translation>
    </message>
    <message>
        <source>Before joining, choose the devices on the pre-join screen.</source>
        <translation>Перед входом в звонок устройства выбираются на экране подготовки.</translation>
    </message>
    <message>
        <source>No camera found</source>
        <translation>Камера не найдена</translation>
    </message>
    <message>
        <source>No microphone found</source>
        <translation>Микрофон не найден</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Как в системе</translation>
    </message>
    <message>
        <source>No speaker was found</source>
        <translation>Динамик не найден</translation>
    </message>
    <message>
        <source>The speaker is in use by another application</source>
        <translation>Динамик занят другим приложением</translation>
    </message>
    <message>
        <source>The speaker could not be used</source>
        <translation>Не удалось воспроизвести звук через динамик</translation>
    </message>
</context>
<context>
    <name>FileMessage</name>
    <message>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Save {name}</source>
        <translation>Сохранить {name}</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>{size} · saving…</source>
        <translation>{size} · сохраняется…</translation>
    </message>
    <message>
        <source>{size} · saved, checked</source>
        <translation>{size} · сохранён, проверен</translation>
    </message>
    <message>
        <source>What was saved matches the file that was sent (SHA-256)</source>
        <translation>Сохранённое совпадает с отправленным файлом (SHA-256)</translation>
    </message>
</context>
<context>
    <name>GeneralPage</name>
    <message>
        <source>General</source>
        <translation>Общие</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Язык системы</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>Уведомления</translation>
    </message>
    <message>
        <source>Show desktop notifications</source>
        <translation>Показывать уведомления на рабочем столе</translation>
    </message>
    <message>
        <source>When the window is hidden: someone joined, the connection was lost, a device stopped.</source>
        <translation>Когда окно скрыто: кто-то подключился, пропала связь, перестало работать устройство.</translation>
    </message>
    <message>
        <source>Meeting reminders</source>
        <translation>Напоминания о встречах</translation>
    </message>
    <message>
        <source>Remind me of a scheduled meeting</source>
        <translation>Напоминать о запланированной встрече</translation>
    </message>
    <message>
        <source>For meetings that set no reminder of their own.</source>
        <translation>Для встреч, у которых нет своего напоминания.</translation>
    </message>
    <message>
        <source>When I close the window during a call</source>
        <translation>При закрытии окна во время звонка</translation>
    </message>
    <message>
        <source>Ask me</source>
        <translation>Спрашивать</translation>
    </message>
    <message>
        <source>Keep the call running in the tray</source>
        <translation>Оставлять звонок в трее</translation>
    </message>
    <message>
        <source>Leave the call and quit</source>
        <translation>Покидать звонок и выходить</translation>
    </message>
    <message>
        <source>Language, notifications, reminders, video quality and whether you join with camera and microphone are kept with your account on the server and follow you to your other computers.</source>
        <translation>Язык, уведомления, напоминания, качество видео и то, входите ли вы с камерой и микрофоном, хранятся в вашей учётной записи на сервере и переходят с вами на другие компьютеры.</translation>
    </message>
    <message>
        <source>No reminder</source>
        <translation>Не напоминать</translation>
    </message>
    <message>
        <source>When it starts</source>
        <translation>В момент начала</translation>
    </message>
    <message>
        <source>1 minute before</source>
        <translation>за 1 минуту</translation>
    </message>
    <message numerus="yes">
        <source>%n minutes before</source>
        <translation>
            <numerusform>за %n минуту</numerusform>
            <numerusform>за %n минуты</numerusform>
            <numerusform>за %n минут</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <source>d MMMM yyyy</source>
        <translation>d MMMM yyyy</translation>
    </message>
    <message numerus="yes">
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n секунда</numerusform>
            <numerusform>%n секунды</numerusform>
            <numerusform>%n секунд</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n минута</numerusform>
            <numerusform>%n минуты</numerusform>
            <numerusform>%n минут</numerusform>
        </translation>
    </message>
    <message>
        <source>{hours} h</source>
        <translation>{hours} ч</translation>
    </message>
    <message>
        <source>{hours} h {minutes} min</source>
        <translation>{hours} ч {minutes} мин</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Назад</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>History and statistics</source>
        <translation>История и статистика</translation>
    </message>
    <message>
        <source>Bars: minutes in meetings per day; numbers: meetings that day.</source>
        <translation>Столбцы — минуты на встречах за день; числа — встречи в этот день.</translation>
    </message>
    <message>
        <source>Your last 30 days</source>
        <translation>Ваши последние 30 дней</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Когда</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Длительность</translation>
    </message>
    <message>
        <source>Who took part</source>
        <translation>Участники</translation>
    </message>
    <message>
        <source>Meetings in</source>
        <translation>Встречи в комнате</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <source>Could not load your statistics. {reason}</source>
        <translation>Не удалось загрузить вашу статистику. {reason}</translation>
    </message>
    <message numerus="yes">
        <source>%n meeting(s)</source>
        <translation>
            <numerusform>%n встреча</numerusform>
            <numerusform>%n встречи</numerusform>
            <numerusform>%n встреч</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n in your rooms</source>
        <translation>
            <numerusform>%n в ваших комнатах</numerusform>
            <numerusform>%n в ваших комнатах</numerusform>
            <numerusform>%n в ваших комнатах</numerusform>
        </translation>
    </message>
    <message>
        <source>No rooms yet: meetings you hold or join appear here.</source>
        <translation>Комнат пока нет: здесь появятся встречи, которые вы проводите или в которых участвуете.</translation>
    </message>
    <message>
        <source>Only the room&apos;s owner and people who took part see its meetings.</source>
        <translation>Встречи комнаты видят только её владелец и участники.</translation>
    </message>
    <message>
        <source>Could not load the room&apos;s meetings. {reason}</source>
        <translation>Не удалось загрузить встречи комнаты. {reason}</translation>
    </message>
    <message>
        <source>going on</source>
        <translation>идёт сейчас</translation>
    </message>
    <message numerus="yes">
        <source>%n person(s)</source>
        <translation>
            <numerusform>%n человек</numerusform>
            <numerusform>%n человека</numerusform>
            <numerusform>%n человек</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>At most %n at once</source>
        <translation>
            <numerusform>Одновременно не больше %n</numerusform>
            <numerusform>Одновременно не больше %n</numerusform>
            <numerusform>Одновременно не больше %n</numerusform>
        </translation>
    </message>
    <message>
        <source>No meetings in this room yet.</source>
        <translation>В этой комнате ещё не было встреч.</translation>
    </message>
    <message>
        <source>now</source>
        <translation>сейчас</translation>
    </message>
    <message>
        <source>{start}–{end}</source>
        <translation>{start}–{end}</translation>
    </message>
</context>
<context>
    <name>Invitation</name>
    <message>
        <source>This server gives no web link: copied the app link {link} (it opens in NIMeet only)</source>
        <translation>Сервер не даёт веб-ссылки: скопирована ссылка для приложения {link} (она открывается только в NIMeet)</translation>
    </message>
    <message>
        <source>Invite link copied: {link}</source>
        <translation>Ссылка-приглашение скопирована: {link}</translation>
    </message>
    <message>
        <source>App link copied: {link} (it opens in NIMeet only)</source>
        <translation>Ссылка для приложения скопирована: {link} (она открывается только в NIMeet)</translation>
    </message>
    <message>
        <source>Copy invite link (opens in a browser)</source>
        <translation>Скопировать ссылку-приглашение (открывается в браузере)</translation>
    </message>
    <message>
        <source>Copy app link (nimeet://, opens in NIMeet)</source>
        <translation>Скопировать ссылку для приложения (nimeet://, открывается в NIMeet)</translation>
    </message>
    <message>
        <source>More ways to invite</source>
        <translation>Другие способы пригласить</translation>
    </message>
</context>
<context>
    <name>InvitationRow</name>
    <message>
        <source>{day}, {time}</source>
        <translation>{day}, {time}</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>Принять</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Отклонить</translation>
    </message>
</context>
<context>
    <name>KeyCapture</name>
    <message>
        <source>Press a key…</source>
        <translation>Нажмите клавишу…</translation>
    </message>
    <message>
        <source>Esc cancels</source>
        <translation>Esc — отмена</translation>
    </message>
    <message>
        <source>Click, then press the key to use</source>
        <translation>Щёлкните, затем нажмите нужную клавишу</translation>
    </message>
    <message>
        <source>Push-to-talk key: {key}</source>
        <translation>Клавиша режима рации: {key}</translation>
    </message>
    <message>
        <source>This key cannot be used. Choose a function key such as F8, a modifier such as Right Ctrl, or a letter with Ctrl or Alt.</source>
        <translation>Эту клавишу использовать нельзя. Выберите функциональную клавишу, например F8, клавишу-модификатор, например правый Ctrl, или букву вместе с Ctrl или Alt.</translation>
    </message>
    <message>
        <source>This key types text. Choose a function key such as F8, a modifier such as Right Ctrl, or hold Ctrl or Alt with it.</source>
        <translation>Эта клавиша печатает текст. Выберите функциональную клавишу, например F8, клавишу-модификатор, например правый Ctrl, или нажмите её вместе с Ctrl или Alt.</translation>
    </message>
</context>
<context>
    <name>LobbyRow</name>
    <message>
        <source>Admit</source>
        <translation>Впустить</translation>
    </message>
    <message>
        <source>Admit {name}</source>
        <translation>Впустить {name}</translation>
    </message>
    <message>
        <source>Deny</source>
        <translation>Отказать</translation>
    </message>
    <message>
        <source>Deny {name}</source>
        <translation>Отказать: {name}</translation>
    </message>
</context>
<context>
    <name>LobbyView</name>
    <message>
        <source>Waiting for the host to let you in</source>
        <translation>Ждём, когда организатор вас впустит</translation>
    </message>
    <message>
        <source>You join the call as soon as a host lets you in.</source>
        <translation>Вы присоединитесь к звонку, как только организатор вас впустит.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Starting the server on this computer…</source>
        <translation>Запускаем сервер на этом компьютере…</translation>
    </message>
    <message>
        <source>No NIMeet server answers at {url}</source>
        <translation>По адресу {url} не отвечает сервер NIMeet</translation>
    </message>
    <message>
        <source>Using the NIMeet server already running at {url}</source>
        <translation>Используется уже запущенный сервер NIMeet: {url}</translation>
    </message>
    <message>
        <source>Connecting to {url}…</source>
        <translation>Подключение к {url}…</translation>
    </message>
    <message>
        <source>Room {room}</source>
        <translation>Комната {room}</translation>
    </message>
    <message>
        <source>The main window switches to the new language once you are out of the call.</source>
        <translation>Главное окно перейдёт на новый язык, когда звонок закончится.</translation>
    </message>
    <message>
        <source>Leave this call before joining another one</source>
        <translation>Чтобы присоединиться к другому звонку, сначала покиньте этот</translation>
    </message>
</context>
<context>
    <name>Meeting</name>
    <message>
        <source>{name} turned your camera off</source>
        <translation>{name} выключил(а) вашу камеру</translation>
    </message>
    <message>
        <source>A host turned your camera off</source>
        <translation>Организатор выключил вашу камеру</translation>
    </message>
    <message>
        <source>{name} muted your microphone</source>
        <translation>{name} выключил(а) ваш микрофон</translation>
    </message>
    <message>
        <source>A host muted your microphone</source>
        <translation>Организатор выключил ваш микрофон</translation>
    </message>
</context>
<context>
    <name>MeetingController</name>
    <message>
        <source>The room&apos;s settings cannot be read right now.</source>
        <translation>Настройки комнаты сейчас не удаётся получить.</translation>
    </message>
    <message>
        <source>That message cannot be sent: it is empty or too long.</source>
        <translation>Это сообщение нельзя отправить: оно пустое или слишком длинное.</translation>
    </message>
    <message>
        <source>That file cannot be read.</source>
        <translation>Этот файл не удаётся прочитать.</translation>
    </message>
    <message>
        <source>Not saved: cancelled.</source>
        <translation>Не сохранено: отменено.</translation>
    </message>
</context>
<context>
    <name>MeetingDetails</name>
    <message>
        <source>Meeting</source>
        <translation>Встреча</translation>
    </message>
    <message>
        <source>Room {room}</source>
        <translation>Комната {room}</translation>
    </message>
    <message>
        <source>Attendees</source>
        <translation>Участники</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <source>Join</source>
        <translation>Войти</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Изменить</translation>
    </message>
    <message>
        <source>Cancel meeting</source>
        <translation>Отменить встречу</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>Принять</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Отклонить</translation>
    </message>
    <message>
        <source>Save .ics…</source>
        <translation>Сохранить .ics…</translation>
    </message>
    <message>
        <source>Copy .ics</source>
        <translation>Копировать .ics</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>{date}, {start}–{end} ({zone})</source>
        <translation>{date}, {start}–{end} ({zone})</translation>
    </message>
    <message>
        <source>Room: {room}</source>
        <translation>Комната: {room}</translation>
    </message>
    <message>
        <source>Repeats</source>
        <translation>Повторяется</translation>
    </message>
    <message>
        <source>{who}: accepted</source>
        <translation>{who}: принял(а)</translation>
    </message>
    <message>
        <source>{who}: declined</source>
        <translation>{who}: отклонил(а)</translation>
    </message>
    <message>
        <source>{who}: no answer yet</source>
        <translation>{who}: ещё не ответил(а)</translation>
    </message>
    <message>
        <source>Cancel meeting?</source>
        <translation>Отменить встречу?</translation>
    </message>
    <message>
        <source>Cancel “{title}” for everyone?</source>
        <translation>Отменить «{title}» для всех?</translation>
    </message>
    <message>
        <source>Every occurrence is cancelled, and the attendees are told.</source>
        <translation>Отменяются все повторения, участники получат уведомление.</translation>
    </message>
    <message>
        <source>Keep it</source>
        <translation>Оставить</translation>
    </message>
    <message>
        <source>Save the meeting as</source>
        <translation>Сохранить встречу как</translation>
    </message>
    <message>
        <source>Calendar files (*.ics)</source>
        <translation>Файлы календаря (*.ics)</translation>
    </message>
    <message>
        <source>Could not write {file}</source>
        <translation>Не удалось записать {file}</translation>
    </message>
    <message>
        <source>Saved to {file}</source>
        <translation>Сохранено в {file}</translation>
    </message>
    <message>
        <source>Copied: paste it into your calendar app</source>
        <translation>Скопировано: вставьте в своё приложение-календарь</translation>
    </message>
</context>
<context>
    <name>MeetingPanel</name>
    <message>
        <source>People</source>
        <translation>Участники</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Чат</translation>
    </message>
    <message>
        <source>Close the panel</source>
        <translation>Закрыть панель</translation>
    </message>
</context>
<context>
    <name>MeetingReminders</name>
    <message>
        <source>{title} starts now</source>
        <translation>{title} начинается сейчас</translation>
    </message>
    <message>
        <source>{title} starts in a minute</source>
        <translation>{title} начнётся через минуту</translation>
    </message>
    <message numerus="yes">
        <source>{title} starts in %n minutes</source>
        <translation>
            <numerusform>{title} начнётся через %n минуту</numerusform>
            <numerusform>{title} начнётся через %n минуты</numerusform>
            <numerusform>{title} начнётся через %n минут</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessagePlurals</name>
    <message numerus="yes">
        <source>Too many attempts: try again in %n second(s)</source>
        <translation>
            <numerusform>Слишком много попыток: повторите через %n секунду</numerusform>
            <numerusform>Слишком много попыток: повторите через %n секунды</numerusform>
            <numerusform>Слишком много попыток: повторите через %n секунд</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Your session has expired: please sign in again</source>
        <translation>Сеанс истёк: войдите снова</translation>
    </message>
    <message>
        <source>The server did not accept what was entered</source>
        <translation>Сервер не принял введённые данные</translation>
    </message>
    <message>
        <source>This username is already taken</source>
        <translation>Это имя пользователя уже занято</translation>
    </message>
    <message>
        <source>An account with this email already exists</source>
        <translation>Аккаунт с такой почтой уже существует</translation>
    </message>
    <message>
        <source>Wrong email or password</source>
        <translation>Неверная почта или пароль</translation>
    </message>
    <message>
        <source>Too many attempts: please wait a little</source>
        <translation>Слишком много попыток: подождите немного</translation>
    </message>
    <message>
        <source>This room does not exist or was deleted</source>
        <translation>Такой комнаты нет или она удалена</translation>
    </message>
    <message>
        <source>The server does not know this request: is it a NIMeet server?</source>
        <translation>Сервер не знает такого запроса. Это точно сервер NIMeet?</translation>
    </message>
    <message>
        <source>The server does not support this request: it may be an older version</source>
        <translation>Сервер не поддерживает этот запрос: возможно, у него устаревшая версия</translation>
    </message>
    <message>
        <source>Something went wrong on the server: please try again</source>
        <translation>На сервере что-то пошло не так: попробуйте ещё раз</translation>
    </message>
    <message>
        <source>The server is busy right now: please try again shortly</source>
        <translation>Сервер сейчас перегружен: попробуйте чуть позже</translation>
    </message>
    <message>
        <source>The server refused this address: use the address its administrator gave you</source>
        <translation>Сервер отклонил этот адрес: используйте адрес, который дал его администратор</translation>
    </message>
    <message>
        <source>This call is full</source>
        <translation>В звонке нет свободных мест</translation>
    </message>
    <message>
        <source>You are already in this call</source>
        <translation>Вы уже в этом звонке</translation>
    </message>
    <message>
        <source>You are no longer in this call</source>
        <translation>Вы больше не участвуете в этом звонке</translation>
    </message>
    <message>
        <source>That participant has already left the call</source>
        <translation>Этот участник уже покинул звонок</translation>
    </message>
    <message>
        <source>The message is too large for the server</source>
        <translation>Сообщение слишком большое для сервера</translation>
    </message>
    <message>
        <source>The server does not understand this version of NIMeet: please update the app</source>
        <translation>Сервер не понимает эту версию NIMeet: обновите приложение</translation>
    </message>
    <message>
        <source>You are connected from too many places: close NIMeet on another device and try again</source>
        <translation>Вы подключены из слишком многих мест: закройте NIMeet на другом устройстве и попробуйте снова</translation>
    </message>
    <message>
        <source>This meeting needs a password</source>
        <translation>Для этой встречи нужен пароль</translation>
    </message>
    <message>
        <source>Wrong password for this meeting</source>
        <translation>Неверный пароль для этой встречи</translation>
    </message>
    <message>
        <source>This meeting is locked: nobody else can join it right now</source>
        <translation>Встреча закрыта: сейчас к ней нельзя присоединиться</translation>
    </message>
    <message>
        <source>You were removed from this meeting: you can join again once it has ended</source>
        <translation>Вас удалили с этой встречи: присоединиться снова можно будет после её окончания</translation>
    </message>
    <message>
        <source>You are the only host: make someone else a host first</source>
        <translation>Вы единственный организатор: сначала сделайте организатором кого-то ещё</translation>
    </message>
    <message>
        <source>Another meeting is scheduled in this room at that time</source>
        <translation>На это время в этой комнате уже запланирована другая встреча</translation>
    </message>
    <message>
        <source>Cannot reach the server: check your connection</source>
        <translation>Не удаётся связаться с сервером: проверьте подключение к сети</translation>
    </message>
    <message>
        <source>The server did not answer in time: please try again</source>
        <translation>Сервер не ответил вовремя: попробуйте ещё раз</translation>
    </message>
    <message>
        <source>The connection to the server was lost</source>
        <translation>Связь с сервером потеряна</translation>
    </message>
    <message>
        <source>The server gave an unexpected answer: is it a NIMeet server?</source>
        <translation>Неожиданный ответ сервера. Это точно сервер NIMeet?</translation>
    </message>
    <message>
        <source>The server reported an error: please try again</source>
        <translation>Сервер сообщил об ошибке: попробуйте ещё раз</translation>
    </message>
    <message>
        <source>Paste an invite link or type a room id</source>
        <translation>Вставьте ссылку-приглашение или введите ID комнаты</translation>
    </message>
    <message>
        <source>This invite link is too long</source>
        <translation>Ссылка-приглашение слишком длинная</translation>
    </message>
    <message>
        <source>An invite link cannot contain spaces or symbols</source>
        <translation>В ссылке-приглашении не может быть пробелов и посторонних символов</translation>
    </message>
    <message>
        <source>An invite link looks like nimeet://join/&lt;room id&gt;</source>
        <translation>Ссылка-приглашение выглядит так: nimeet://join/&lt;ID комнаты&gt;</translation>
    </message>
    <message>
        <source>An invite link can carry nothing after the room id but its server (?server=…)</source>
        <translation>В ссылке-приглашении после ID комнаты может быть только адрес сервера (?server=…)</translation>
    </message>
    <message>
        <source>A web invite link looks like https://&lt;server&gt;/join/&lt;room id&gt;</source>
        <translation>Веб-ссылка выглядит так: https://&lt;сервер&gt;/join/&lt;ID комнаты&gt;</translation>
    </message>
    <message>
        <source>The server address in this link is not valid</source>
        <translation>В ссылке неверный адрес сервера</translation>
    </message>
    <message>
        <source>Only nimeet://, https:// and http:// invite links can be opened</source>
        <translation>Открыть можно только ссылки nimeet://, https:// и http://</translation>
    </message>
    <message>
        <source>The path in this address is not valid</source>
        <translation>В адресе неверный путь</translation>
    </message>
    <message>
        <source>Something went wrong (the details are in the log)</source>
        <translation>Что-то пошло не так (подробности в журнале)</translation>
    </message>
    <message>
        <source>This is neither an invite link nor a room id</source>
        <translation>Это не ссылка-приглашение и не ID комнаты</translation>
    </message>
    <message>
        <source>Enter the server&apos;s address</source>
        <translation>Введите адрес сервера</translation>
    </message>
    <message>
        <source>This server address is too long</source>
        <translation>Адрес сервера слишком длинный</translation>
    </message>
    <message>
        <source>The address must start with https:// or http://</source>
        <translation>Адрес должен начинаться с https:// или http://</translation>
    </message>
    <message>
        <source>A server address cannot contain spaces or non-Latin letters</source>
        <translation>В адресе сервера не может быть пробелов и нелатинских букв</translation>
    </message>
    <message>
        <source>Leave the user name and password out of the address</source>
        <translation>Уберите из адреса имя пользователя и пароль</translation>
    </message>
    <message>
        <source>Leave anything after ? or # out of the address</source>
        <translation>Уберите из адреса всё, что идёт после ? или #</translation>
    </message>
    <message>
        <source>The address has no server name</source>
        <translation>В адресе нет имени сервера</translation>
    </message>
    <message>
        <source>The port in this address is not valid</source>
        <translation>В адресе неверный порт</translation>
    </message>
    <message>
        <source>The server name in this address is not valid</source>
        <translation>В адресе неверное имя сервера</translation>
    </message>
    <message>
        <source>This is not a valid server address</source>
        <translation>Это не похоже на адрес сервера</translation>
    </message>
    <message>
        <source>Cannot reach the server: check your connection and the server&apos;s address</source>
        <translation>Не удаётся связаться с сервером: проверьте подключение к сети и адрес сервера</translation>
    </message>
    <message>
        <source>The server on this computer could not start ({reason})</source>
        <translation>Не удалось запустить сервер на этом компьютере ({reason})</translation>
    </message>
</context>
<context>
    <name>NetworkHostingPanel</name>
    <message>
        <source>Address for other computers</source>
        <translation>Адрес для других компьютеров</translation>
    </message>
    <message>
        <source>Copy address</source>
        <translation>Скопировать адрес</translation>
    </message>
    <message>
        <source>This computer runs the server for your network: other computers on it can reach the server and join its calls. They use this address (invitations carry it):</source>
        <translation>Этот компьютер работает сервером для вашей сети: другие компьютеры в ней могут подключаться к серверу и входить в его звонки. Они используют этот адрес (он есть в приглашениях):</translation>
    </message>
    <message>
        <source>No local network was found, so only this computer can reach the server it runs.</source>
        <translation>Локальная сеть не найдена, поэтому к запущенному здесь серверу можно подключиться только с этого компьютера.</translation>
    </message>
    <message>
        <source>This computer runs the server; only this computer can reach it.</source>
        <translation>Этот компьютер работает сервером; подключиться к нему можно только с этого компьютера.</translation>
    </message>
    <message>
        <source>Address copied</source>
        <translation>Адрес скопирован</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>The call is connected again</source>
        <translation>Связь со звонком восстановлена</translation>
    </message>
    <message>
        <source>{name} sent you a file: {file}</source>
        <translation>{name} отправил(а) вам файл: {file}</translation>
    </message>
    <message>
        <source>{name} sent a file: {file}</source>
        <translation>{name} отправил(а) файл: {file}</translation>
    </message>
    <message>
        <source>{name} (privately): {text}</source>
        <translation>{name} (лично): {text}</translation>
    </message>
    <message>
        <source>{name}: {text}</source>
        <translation>{name}: {text}</translation>
    </message>
    <message>
        <source>The connection to the server was lost. Trying to reconnect…</source>
        <translation>Связь с сервером потеряна. Переподключение…</translation>
    </message>
    <message numerus="yes">
        <source>%n new messages in the chat</source>
        <translation>
            <numerusform>%n новое сообщение в чате</numerusform>
            <numerusform>%n новых сообщения в чате</numerusform>
            <numerusform>%n новых сообщений в чате</numerusform>
        </translation>
    </message>
    <message>
        <source>{name} joined the call</source>
        <translation>{name} присоединяется к звонку</translation>
    </message>
    <message numerus="yes">
        <source>%n people joined the call</source>
        <translation>
            <numerusform>К звонку присоединился %n человек</numerusform>
            <numerusform>К звонку присоединились %n человека</numerusform>
            <numerusform>К звонку присоединились %n человек</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PasswordPrompt</name>
    <message>
        <source>This meeting needs a password</source>
        <translation>Для этой встречи нужен пароль</translation>
    </message>
    <message>
        <source>Wrong password: try again</source>
        <translation>Неверный пароль: попробуйте ещё раз</translation>
    </message>
    <message>
        <source>Too many wrong passwords: wait a minute, then try again</source>
        <translation>Слишком много неверных паролей: подождите минуту и попробуйте снова</translation>
    </message>
    <message>
        <source>Enter the meeting&apos;s password</source>
        <translation>Введите пароль встречи</translation>
    </message>
    <message>
        <source>Password required</source>
        <translation>Нужен пароль</translation>
    </message>
    <message>
        <source>“{room}” is protected by a password. Ask the person who invited you for it.</source>
        <translation>Встреча «{room}» защищена паролем. Спросите его у того, кто вас пригласил.</translation>
    </message>
    <message>
        <source>This meeting is protected by a password. Ask the person who invited you for it.</source>
        <translation>Эта встреча защищена паролем. Спросите его у того, кто вас пригласил.</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Join</source>
        <translation>Присоединиться</translation>
    </message>
</context>
<context>
    <name>PeopleTab</name>
    <message>
        <source>Admit all</source>
        <translation>Впустить всех</translation>
    </message>
    <message>
        <source>Mute everyone</source>
        <translation>Выключить микрофоны всем</translation>
    </message>
    <message>
        <source>Lock room</source>
        <translation>Закрыть вход</translation>
    </message>
    <message>
        <source>While the room is locked, nobody new can join</source>
        <translation>Пока вход закрыт, новые участники не могут войти</translation>
    </message>
    <message>
        <source>Room settings…</source>
        <translation>Настройки комнаты…</translation>
    </message>
    <message>
        <source>Waiting to join ({count})</source>
        <translation>Ждут входа ({count})</translation>
    </message>
    <message>
        <source>In the meeting ({count})</source>
        <translation>На встрече ({count})</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Выключить микрофон</translation>
    </message>
    <message>
        <source>Turn camera off</source>
        <translation>Выключить камеру</translation>
    </message>
    <message>
        <source>Make participant</source>
        <translation>Сделать участником</translation>
    </message>
    <message>
        <source>Make host</source>
        <translation>Сделать организатором</translation>
    </message>
    <message>
        <source>Lower hand</source>
        <translation>Опустить руку</translation>
    </message>
    <message>
        <source>Remove from the meeting</source>
        <translation>Удалить со встречи</translation>
    </message>
    <message>
        <source>Remove {name} from the meeting?</source>
        <translation>Удалить {name} со встречи?</translation>
    </message>
    <message>
        <source>They cannot join again until this meeting ends.</source>
        <translation>Вернуться на встречу можно будет только после её окончания.</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Удалить</translation>
    </message>
</context>
<context>
    <name>PersonRow</name>
    <message>
        <source>{name} (you)</source>
        <translation>{name} (вы)</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Организатор</translation>
    </message>
    <message>
        <source>Presenting</source>
        <translation>Показывает экран</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>Записывает</translation>
    </message>
    <message>
        <source>Hand raised</source>
        <translation>Поднята рука</translation>
    </message>
    <message>
        <source>Microphone on</source>
        <translation>Микрофон включён</translation>
    </message>
    <message>
        <source>Microphone off</source>
        <translation>Микрофон выключен</translation>
    </message>
    <message>
        <source>Camera on</source>
        <translation>Камера включена</translation>
    </message>
    <message>
        <source>Camera off</source>
        <translation>Камера выключена</translation>
    </message>
    <message>
        <source>More actions for {name}</source>
        <translation>Действия: {name}</translation>
    </message>
</context>
<context>
    <name>PreJoinView</name>
    <message>
        <source>Ready to join?</source>
        <translation>Готовы присоединиться?</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Вы</translation>
    </message>
    <message>
        <source>Choose image…</source>
        <translation>Выбрать изображение…</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Камера</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Микрофон</translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation>Динамик</translation>
    </message>
    <message>
        <source>Background</source>
        <translation>Фон</translation>
    </message>
    <message>
        <source>Join now</source>
        <translation>Присоединиться</translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation>Скопировать ссылку-приглашение</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Назад</translation>
    </message>
    <message>
        <source>Room {room}</source>
        <translation>Комната {room}</translation>
    </message>
    <message>
        <source>No camera found</source>
        <translation>Камера не найдена</translation>
    </message>
    <message>
        <source>No microphone found</source>
        <translation>Микрофон не найден</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Как в системе</translation>
    </message>
    <message>
        <source>Nobody is in the call yet · {room}</source>
        <translation>В звонке пока никого · {room}</translation>
    </message>
    <message numerus="yes">
        <source>%n participant(s) in the call · {room}</source>
        <translation>
            <numerusform>%n участник в звонке · {room}</numerusform>
            <numerusform>%n участника в звонке · {room}</numerusform>
            <numerusform>%n участников в звонке · {room}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PresentingFrame</name>
    <message>
        <source>You are presenting</source>
        <translation>Вы показываете экран</translation>
    </message>
</context>
<context>
    <name>PushToTalk</name>
    <message>
        <source>Right {key}</source>
        <translation>Правый {key}</translation>
    </message>
    <message>
        <source>Space</source>
        <translation>Пробел</translation>
    </message>
    <message>
        <source>The key works in every application, also while NIMeet is in the background.</source>
        <translation>Клавиша работает в любом приложении, даже когда NIMeet в фоне.</translation>
    </message>
    <message>
        <source>macOS asks for permission first: allow NIMeet in System Settings, Privacy &amp; Security, under Accessibility and Input Monitoring. Then the key works in every application; until then, only while the NIMeet window is focused.</source>
        <translation>macOS сначала спросит разрешения: разрешите NIMeet в Системных настройках, раздел «Конфиденциальность и безопасность», в пунктах «Универсальный доступ» и «Мониторинг ввода». После этого клавиша работает в любом приложении, а до тех пор — только когда окно NIMeet активно.</translation>
    </message>
    <message>
        <source>Global shortcuts are not available in Wayland sessions: push-to-talk works while the NIMeet window is focused.</source>
        <translation>В сеансах Wayland глобальные сочетания клавиш недоступны: режим рации работает, когда окно NIMeet активно.</translation>
    </message>
    <message>
        <source>Global shortcuts are not available without a graphical session: push-to-talk works while the NIMeet window is focused.</source>
        <translation>Без графического сеанса глобальные сочетания клавиш недоступны: режим рации работает, когда окно NIMeet активно.</translation>
    </message>
</context>
<context>
    <name>PushToTalkCall</name>
    <message>
        <source>Push-to-talk: hold {key} to talk</source>
        <translation>Режим рации: удерживайте {key}, чтобы говорить</translation>
    </message>
</context>
<context>
    <name>PushToTalkSection</name>
    <message>
        <source>Push-to-talk</source>
        <translation>Режим рации</translation>
    </message>
    <message>
        <source>In a call the microphone stays muted, and is on only while you hold the key.</source>
        <translation>Во время звонка микрофон выключен и включается, только пока вы удерживаете клавишу.</translation>
    </message>
    <message>
        <source>Key:</source>
        <translation>Клавиша:</translation>
    </message>
</context>
<context>
    <name>Reactions</name>
    <message>
        <source>Thumbs up</source>
        <translation>Нравится</translation>
    </message>
    <message>
        <source>Clapping</source>
        <translation>Аплодисменты</translation>
    </message>
    <message>
        <source>Laughing</source>
        <translation>Смешно</translation>
    </message>
    <message>
        <source>Surprised</source>
        <translation>Удивление</translation>
    </message>
    <message>
        <source>Heart</source>
        <translation>Сердце</translation>
    </message>
    <message>
        <source>Celebrating</source>
        <translation>Праздник</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>Задумался</translation>
    </message>
    <message>
        <source>Waving</source>
        <translation>Привет</translation>
    </message>
</context>
<context>
    <name>ReconnectingOverlay</name>
    <message>
        <source>Reconnecting…</source>
        <translation>Переподключение…</translation>
    </message>
    <message>
        <source>Your call will resume when the connection is back.</source>
        <translation>Звонок продолжится, как только связь восстановится.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Подключение…</translation>
    </message>
    <message>
        <source>Your call will start when the connection is up.</source>
        <translation>Звонок начнётся, как только установится связь.</translation>
    </message>
</context>
<context>
    <name>Recording</name>
    <message>
        <source>REC</source>
        <translation>REC</translation>
    </message>
    <message>
        <source>The recording cannot start: {file} cannot be created in {folder}.</source>
        <translation>Запись не начата: не удаётся создать файл {file} в папке {folder}.</translation>
    </message>
    <message>
        <source>The recording stopped: the disk is full. What was recorded is kept in {file}.</source>
        <translation>Запись остановлена: диск заполнен. Записанное сохранено в {file}.</translation>
    </message>
    <message>
        <source>The recording stopped: the file could not be written. What was recorded is kept in {file}.</source>
        <translation>Запись остановлена: не удалось записать файл. Записанное сохранено в {file}.</translation>
    </message>
</context>
<context>
    <name>RecordingBar</name>
    <message>
        <source>Start recording</source>
        <translation>Начать запись</translation>
    </message>
    <message>
        <source>Stop recording</source>
        <translation>Остановить запись</translation>
    </message>
    <message>
        <source>{name} is recording</source>
        <translation>{name} ведёт запись</translation>
    </message>
    <message numerus="yes">
        <source>{name} and %n other(s) are recording</source>
        <translation>
            <numerusform>{name} и ещё %n участник ведут запись</numerusform>
            <numerusform>{name} и ещё %n участника ведут запись</numerusform>
            <numerusform>{name} и ещё %n участников ведут запись</numerusform>
        </translation>
    </message>
    <message>
        <source>You are recording · {time}</source>
        <translation>Вы ведёте запись · {time}</translation>
    </message>
    <message>
        <source>Recording paused · {time}</source>
        <translation>Запись приостановлена · {time}</translation>
    </message>
    <message>
        <source>Resume recording</source>
        <translation>Продолжить запись</translation>
    </message>
    <message>
        <source>Pause recording</source>
        <translation>Приостановить запись</translation>
    </message>
</context>
<context>
    <name>RecordingController</name>
    <message>
        <source>You are no longer a host, so the recording stopped. It is saved as {file}.</source>
        <translation>Вы больше не ведущий, поэтому запись остановлена. Она сохранена как {file}.</translation>
    </message>
    <message>
        <source>The recordings folder {folder} cannot be created: {reason}</source>
        <translation>Не удаётся создать папку для записей {folder}: {reason}</translation>
    </message>
    <message>
        <source>Recording. Everyone in the call sees that you record.</source>
        <translation>Идёт запись. Все участники звонка видят, что вы записываете.</translation>
    </message>
    <message>
        <source>Recording saved as {file}.</source>
        <translation>Запись сохранена как {file}.</translation>
    </message>
    <message>
        <source>The recording stopped.</source>
        <translation>Запись остановлена.</translation>
    </message>
</context>
<context>
    <name>RecordingsView</name>
    <message>
        <source>Back</source>
        <translation>Назад</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>Открыть папку</translation>
    </message>
    <message>
        <source>Change folder…</source>
        <translation>Сменить папку…</translation>
    </message>
    <message>
        <source>Use default</source>
        <translation>По умолчанию</translation>
    </message>
    <message>
        <source>Save recordings in the NIMeet folder of your videos again</source>
        <translation>Снова сохранять записи в папку NIMeet в ваших видео</translation>
    </message>
    <message>
        <source>Recordings</source>
        <translation>Записи</translation>
    </message>
    <message>
        <source>Saved in:</source>
        <translation>Папка:</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Название</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Дата</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Длительность</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Размер</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Открыть</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>Показать в папке</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message numerus="yes">
        <source>%n recording(s)</source>
        <translation>
            <numerusform>%n запись</numerusform>
            <numerusform>%n записи</numerusform>
            <numerusform>%n записей</numerusform>
        </translation>
    </message>
    <message>
        <source>No recordings yet. When you record a call, the recording is saved in {folder}.</source>
        <translation>Записей пока нет. Когда вы запишете звонок, запись сохранится в папку {folder}.</translation>
    </message>
    <message>
        <source>No application could open the recording</source>
        <translation>Ни одно приложение не смогло открыть запись</translation>
    </message>
    <message>
        <source>Could not open the folder</source>
        <translation>Не удалось открыть папку</translation>
    </message>
    <message>
        <source>Delete recording?</source>
        <translation>Удалить запись?</translation>
    </message>
    <message>
        <source>Delete “{name}”?</source>
        <translation>Удалить «{name}»?</translation>
    </message>
    <message>
        <source>It goes to the trash, where you can restore it; where there is no trash, it is deleted for good.</source>
        <translation>Запись попадёт в корзину, откуда её можно восстановить; если корзины нет, она будет удалена навсегда.</translation>
    </message>
    <message>
        <source>Recording moved to the trash</source>
        <translation>Запись перемещена в корзину</translation>
    </message>
    <message>
        <source>Could not delete “{name}”: {reason}</source>
        <translation>Не удалось удалить «{name}»: {reason}</translation>
    </message>
    <message>
        <source>Recording deleted</source>
        <translation>Запись удалена</translation>
    </message>
    <message>
        <source>Folder for recordings</source>
        <translation>Папка для записей</translation>
    </message>
</context>
<context>
    <name>ReminderBanner</name>
    <message>
        <source>Join</source>
        <translation>Присоединиться</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Закрыть</translation>
    </message>
</context>
<context>
    <name>RoomDialog</name>
    <message>
        <source>New call</source>
        <translation>Новый звонок</translation>
    </message>
    <message>
        <source>Room settings</source>
        <translation>Настройки комнаты</translation>
    </message>
    <message>
        <source>Start a new call</source>
        <translation>Начать новый звонок</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Название</translation>
    </message>
    <message>
        <source>Description (optional)</source>
        <translation>Описание (необязательно)</translation>
    </message>
    <message>
        <source>Maximum participants</source>
        <translation>Максимум участников</translation>
    </message>
    <message>
        <source>More than {mesh} people: the call goes through the server&apos;s media router (SFU).</source>
        <translation>Больше {mesh} человек: звонок идёт через медиасервер (SFU) сервера.</translation>
    </message>
    <message>
        <source>Lobby: people wait until a host lets them in</source>
        <translation>Зал ожидания: участники ждут, пока организатор их впустит</translation>
    </message>
    <message>
        <source>Require a password to join</source>
        <translation>Вход по паролю</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Set</source>
        <comment>a room&apos;s password</comment>
        <translation>Задан</translation>
    </message>
    <message>
        <source>The password will be removed: anyone with the link can join.</source>
        <translation>Пароль будет удалён: войти сможет любой, у кого есть ссылка.</translation>
    </message>
    <message>
        <source>A password is set. Type a new one to change it.</source>
        <translation>Пароль задан. Чтобы сменить его, введите новый.</translation>
    </message>
    <message>
        <source>People need this password to join: tell it to the people you invite.</source>
        <translation>Без этого пароля войти нельзя: сообщите его тем, кого приглашаете.</translation>
    </message>
    <message>
        <source>Start call</source>
        <translation>Начать звонок</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation>Подождите…</translation>
    </message>
    <message>
        <source>Only the room&apos;s owner can change its settings</source>
        <translation>Менять настройки комнаты может только её владелец</translation>
    </message>
    <message>
        <source>This server allows at most {max} participants: larger rooms need a server with an SFU</source>
        <translation>Этот сервер допускает не больше {max} участников: для больших комнат нужен сервер с SFU</translation>
    </message>
    <message>
        <source>This server allows {min}–{max} participants in a room</source>
        <translation>Этот сервер допускает от {min} до {max} участников в комнате</translation>
    </message>
</context>
<context>
    <name>ScheduleDialog</name>
    <message>
        <source>Schedule a meeting</source>
        <translation>Запланировать встречу</translation>
    </message>
    <message>
        <source>Edit meeting</source>
        <translation>Изменить встречу</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Название</translation>
    </message>
    <message>
        <source>Description (optional)</source>
        <translation>Описание (необязательно)</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Дата</translation>
    </message>
    <message>
        <source>Starts</source>
        <translation>Начало</translation>
    </message>
    <message>
        <source>Ends</source>
        <translation>Конец</translation>
    </message>
    <message>
        <source>Times in {zone}</source>
        <translation>Время в поясе {zone}</translation>
    </message>
    <message>
        <source>Does not repeat</source>
        <translation>Не повторять</translation>
    </message>
    <message>
        <source>Daily</source>
        <translation>Каждый день</translation>
    </message>
    <message>
        <source>Weekly</source>
        <translation>Каждую неделю</translation>
    </message>
    <message>
        <source>Monthly</source>
        <translation>Каждый месяц</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>Повтор</translation>
    </message>
    <message>
        <source>Ends after</source>
        <translation>Закончить после</translation>
    </message>
    <message>
        <source>Ends on</source>
        <translation>Закончить</translation>
    </message>
    <message>
        <source>Attendees: emails or usernames, separated by commas</source>
        <translation>Участники: почта или имена пользователей через запятую</translation>
    </message>
    <message>
        <source>No reminder</source>
        <translation>Без напоминания</translation>
    </message>
    <message>
        <source>Reminder, minutes before</source>
        <translation>Напоминание, минут до начала</translation>
    </message>
    <message>
        <source>A new room</source>
        <translation>Новая комната</translation>
    </message>
    <message>
        <source>Room</source>
        <translation>Комната</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>Запланировать</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>This meeting repeats in a way this app cannot show or change.</source>
        <translation>Эта встреча повторяется так, как приложение не умеет показать или изменить.</translation>
    </message>
    <message numerus="yes">
        <source>time(s)</source>
        <translation>
            <numerusform>раз</numerusform>
            <numerusform>раза</numerusform>
            <numerusform>раз</numerusform>
        </translation>
    </message>
    <message>
        <source>Give the meeting a title</source>
        <translation>Дайте встрече название</translation>
    </message>
    <message>
        <source>At most {count} characters</source>
        <translation>Не больше {count} символов</translation>
    </message>
    <message>
        <source>The meeting must end after it starts</source>
        <translation>Встреча должна закончиться позже, чем начнётся</translation>
    </message>
    <message>
        <source>The last day must be after the first and within two years</source>
        <translation>Последний день — не раньше первого и не позже чем через два года</translation>
    </message>
    <message>
        <source>A meeting repeats at most {count} times</source>
        <translation>Встреча повторяется не больше {count} раз</translation>
    </message>
    <message>
        <source>The date must be one of the days the meeting repeats on</source>
        <translation>Дата должна приходиться на один из дней повтора</translation>
    </message>
    <message>
        <source>This repetition never happens: check the days chosen</source>
        <translation>Такой повтор никогда не наступит: проверьте выбранные дни</translation>
    </message>
    <message>
        <source>You can only schedule in rooms you own</source>
        <translation>Планировать можно только в своих комнатах</translation>
    </message>
    <message>
        <source>This meeting or its room no longer exists</source>
        <translation>Этой встречи или её комнаты больше нет</translation>
    </message>
    <message>
        <source>Another meeting in this room overlaps this time. Choose another time or room.</source>
        <translation>В этой комнате в это время уже есть другая встреча. Выберите другое время или комнату.</translation>
    </message>
    <message>
        <source>“{title}” is already in this room at this time. Choose another time or room.</source>
        <translation>В этой комнате в это время уже идёт «{title}». Выберите другое время или комнату.</translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation>Подождите…</translation>
    </message>
</context>
<context>
    <name>ServerPage</name>
    <message>
        <source>Server</source>
        <translation>Сервер</translation>
    </message>
    <message>
        <source>Connected to</source>
        <translation>Подключено к</translation>
    </message>
    <message>
        <source>Change server…</source>
        <translation>Сменить сервер…</translation>
    </message>
    <message>
        <source>Your rooms and your account belong to this server.</source>
        <translation>Ваши комнаты и учётная запись хранятся на этом сервере.</translation>
    </message>
    <message>
        <source>Leave the call to change the server.</source>
        <translation>Чтобы сменить сервер, покиньте звонок.</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>Сеть</translation>
    </message>
    <message>
        <source>Relay only: send calls through the server&apos;s relay (TURN)</source>
        <translation>Только через ретранслятор: звонки идут через ретранслятор сервера (TURN)</translation>
    </message>
    <message>
        <source>The others in a call never see this computer&apos;s network address, and calls work on a network that lets only the relay through; video may lag a little more. It needs a server with a relay: without one, nobody can be reached. From the next call on.</source>
        <translation>Другие участники звонка не увидят сетевой адрес этого компьютера, и звонки работают в сети, которая пропускает только ретранслятор; видео может запаздывать чуть больше. Нужен сервер с ретранслятором: без него ни с кем не связаться. Действует со следующего звонка.</translation>
    </message>
</context>
<context>
    <name>ServerView</name>
    <message>
        <source>NIMeet talks to a NIMeet server. Use the one your organisation gave you, or run one on this computer.</source>
        <translation>NIMeet работает через сервер NIMeet. Укажите сервер, который вам дали в организации, или запустите свой на этом компьютере.</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>Адрес сервера</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>Подключиться</translation>
    </message>
    <message>
        <source>Start a server on this computer</source>
        <translation>Запустить свой сервер</translation>
    </message>
    <message>
        <source>Let people on my network join</source>
        <translation>Разрешить подключаться людям из моей сети</translation>
    </message>
    <message>
        <source>Choose a server</source>
        <translation>Выберите сервер</translation>
    </message>
    <message>
        <source>A server started here can be reached by other computers on your network, and anyone on it who has an invitation can join its calls. The address they must use is shown once it runs.</source>
        <translation>К серверу, запущенному здесь, смогут подключаться другие компьютеры вашей сети, и любой в ней, у кого есть приглашение, сможет войти в его звонки. Адрес, который им нужен, появится после запуска.</translation>
    </message>
    <message>
        <source>A server started here can be reached from this computer only.</source>
        <translation>К серверу, запущенному здесь, можно подключиться только с этого компьютера.</translation>
    </message>
    <message>
        <source>No NIMeet server answers at this address</source>
        <translation>По этому адресу не отвечает сервер NIMeet</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Запуск…</translation>
    </message>
</context>
<context>
    <name>SettingsWindow</name>
    <message>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>Устройства</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Звук</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>Видео</translation>
    </message>
    <message>
        <source>General</source>
        <translation>Общие</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Сервер</translation>
    </message>
</context>
<context>
    <name>StatisticsDialog</name>
    <message>
        <source>Call statistics</source>
        <translation>Статистика звонка</translation>
    </message>
    <message>
        <source>Participant</source>
        <translation>Участник</translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation>Разрешение</translation>
    </message>
    <message>
        <source>Frame rate</source>
        <translation>Частота кадров</translation>
    </message>
    <message>
        <source>Painted</source>
        <translation>Показано</translation>
    </message>
    <message>
        <source>Bitrate</source>
        <translation>Битрейт</translation>
    </message>
    <message>
        <source>Packet loss</source>
        <translation>Потери пакетов</translation>
    </message>
    <message>
        <source>Round trip</source>
        <translation>Задержка (RTT)</translation>
    </message>
    <message>
        <source>Frame rate: frames received and decoded per second; painted: frames shown on this screen. Bitrate: everything received from that person. Packet loss and round trip come from the connections&apos; RTCP reports; “—” means not known yet.</source>
        <translation>Частота кадров: кадров в секунду, принятых и декодированных; показано: кадров, выведенных на этот экран. Битрейт: всё, что принято от этого участника. Потери пакетов и задержка (время приёма-передачи) — из отчётов RTCP соединений; «—» значит, что это ещё неизвестно.</translation>
    </message>
    <message>
        <source>You (sending)</source>
        <translation>Вы (отправка)</translation>
    </message>
</context>
<context>
    <name>StatisticsView</name>
    <message>
        <source>{value} fps</source>
        <translation>{value} кадр/с</translation>
    </message>
    <message>
        <source>{value} Mbit/s</source>
        <translation>{value} Мбит/с</translation>
    </message>
    <message>
        <source>{value} kbit/s</source>
        <translation>{value} кбит/с</translation>
    </message>
    <message>
        <source>{value} %</source>
        <translation>{value} %</translation>
    </message>
    <message>
        <source>{value} ms</source>
        <translation>{value} мс</translation>
    </message>
</context>
<context>
    <name>SwitchBackOffer</name>
    <message>
        <source>Switch back</source>
        <translation>Переключиться обратно</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Закрыть</translation>
    </message>
</context>
<context>
    <name>SwitchServerDialog</name>
    <message>
        <source>Switch server?</source>
        <translation>Сменить сервер?</translation>
    </message>
    <message>
        <source>This invitation is for {server}.
You are signed in to {current}.

Switch to {server}?</source>
        <translation>Это приглашение на сервер {server}.
Вы вошли на сервер {current}.

Перейти на {server}?</translation>
    </message>
    <message>
        <source>This invitation is for {server}.
You are using {current}.

Switch to {server}?</source>
        <translation>Это приглашение на сервер {server}.
Сейчас используется сервер {current}.

Перейти на {server}?</translation>
    </message>
    <message>
        <source>Your account there may be a different one: you may have to sign in.</source>
        <translation>Учётная запись там может быть другой: возможно, придётся войти.</translation>
    </message>
    <message>
        <source>Switch and join</source>
        <translation>Перейти и присоединиться</translation>
    </message>
    <message>
        <source>Stay here</source>
        <translation>Остаться здесь</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Open NIMeet</source>
        <translation>Открыть NIMeet</translation>
    </message>
    <message>
        <source>New call</source>
        <translation>Новый звонок</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Настройки…</translation>
    </message>
    <message>
        <source>Leave the call</source>
        <translation>Покинуть звонок</translation>
    </message>
    <message>
        <source>When I close the window during a call</source>
        <translation>При закрытии окна во время звонка</translation>
    </message>
    <message>
        <source>Ask me</source>
        <translation>Спрашивать</translation>
    </message>
    <message>
        <source>Keep the call running in the tray</source>
        <translation>Оставлять звонок в трее</translation>
    </message>
    <message>
        <source>Leave the call and quit</source>
        <translation>Покидать звонок и выходить</translation>
    </message>
    <message>
        <source>Quit NIMeet</source>
        <translation>Выйти из NIMeet</translation>
    </message>
    <message>
        <source>NIMeet: reconnecting to the call in {room}</source>
        <translation>NIMeet: переподключение к звонку в {room}</translation>
    </message>
    <message>
        <source>NIMeet: in a call in {room}, microphone off</source>
        <translation>NIMeet: звонок в {room}, микрофон выключен</translation>
    </message>
    <message>
        <source>NIMeet: in a call in {room}</source>
        <translation>NIMeet: звонок в {room}</translation>
    </message>
    <message>
        <source>{room} · reconnecting…</source>
        <translation>{room} · переподключение…</translation>
    </message>
    <message numerus="yes">
        <source>{room} · %n in the call · {duration}</source>
        <translation>
            <numerusform>{room} · в звонке: %n · {duration}</numerusform>
            <numerusform>{room} · в звонке: %n · {duration}</numerusform>
            <numerusform>{room} · в звонке: %n · {duration}</numerusform>
        </translation>
    </message>
    <message>
        <source>The call continues in the background. Open NIMeet from its tray icon.</source>
        <translation>Звонок продолжается в фоне. Откройте NIMeet значком в трее.</translation>
    </message>
</context>
<context>
    <name>UpcomingMeetings</name>
    <message>
        <source>Upcoming meetings</source>
        <translation>Ближайшие встречи</translation>
    </message>
    <message>
        <source>No meetings today or tomorrow.</source>
        <translation>Сегодня и завтра встреч нет.</translation>
    </message>
    <message>
        <source>Invitation accepted</source>
        <translation>Приглашение принято</translation>
    </message>
    <message>
        <source>Invitation declined</source>
        <translation>Приглашение отклонено</translation>
    </message>
</context>
<context>
    <name>UpcomingRow</name>
    <message>
        <source>Join</source>
        <translation>Войти</translation>
    </message>
    <message>
        <source>Now, {time}</source>
        <translation>Сейчас, {time}</translation>
    </message>
    <message>
        <source>Today, {time}</source>
        <translation>Сегодня, {time}</translation>
    </message>
    <message>
        <source>Tomorrow, {time}</source>
        <translation>Завтра, {time}</translation>
    </message>
</context>
<context>
    <name>UploadRow</name>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>Sending… {percent}% of {size}</source>
        <translation>Отправка… {percent} % из {size}</translation>
    </message>
</context>
<context>
    <name>UsageChart</name>
    <message>
        <source>Minutes in meetings per day</source>
        <translation>Минуты на встречах по дням</translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s) in the last 30 days</source>
        <translation>
            <numerusform>%n минута за последние 30 дней</numerusform>
            <numerusform>%n минуты за последние 30 дней</numerusform>
            <numerusform>%n минут за последние 30 дней</numerusform>
        </translation>
    </message>
    <message>
        <source>d MMM</source>
        <translation>d MMM</translation>
    </message>
    <message>
        <source>{day}: {meetings}, {minutes}</source>
        <translation>{day}: {meetings}, {minutes}</translation>
    </message>
    <message numerus="yes">
        <source>%n meeting(s)</source>
        <translation>
            <numerusform>%n встреча</numerusform>
            <numerusform>%n встречи</numerusform>
            <numerusform>%n встреч</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n минута</numerusform>
            <numerusform>%n минуты</numerusform>
            <numerusform>%n минут</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Validation</name>
    <message>
        <source>{min}–{max} Latin letters, digits, &apos;_&apos;, &apos;.&apos; or &apos;-&apos;</source>
        <translation>От {min} до {max} символов: латинские буквы, цифры, «_», «.» или «-»</translation>
    </message>
    <message>
        <source>Enter your email address</source>
        <translation>Введите адрес электронной почты</translation>
    </message>
    <message>
        <source>That does not look like an email address</source>
        <translation>Это не похоже на адрес электронной почты</translation>
    </message>
    <message>
        <source>Give the room a name</source>
        <translation>Введите название комнаты</translation>
    </message>
    <message>
        <source>A name cannot contain invisible or control characters</source>
        <translation>В названии не может быть невидимых или управляющих символов</translation>
    </message>
    <message>
        <source>The description cannot contain control characters</source>
        <translation>В описании не может быть управляющих символов</translation>
    </message>
</context>
<context>
    <name>ValidationPlurals</name>
    <message numerus="yes">
        <source>At least %n character(s)</source>
        <translation>
            <numerusform>Минимум %n символ</numerusform>
            <numerusform>Минимум %n символа</numerusform>
            <numerusform>Минимум %n символов</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>At most %n character(s)</source>
        <translation>
            <numerusform>Максимум %n символ</numerusform>
            <numerusform>Максимум %n символа</numerusform>
            <numerusform>Максимум %n символов</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VideoGrid</name>
    <message>
        <source>Previous page</source>
        <translation>Предыдущая страница</translation>
    </message>
    <message>
        <source>Next page</source>
        <translation>Следующая страница</translation>
    </message>
    <message>
        <source>Page {page} of {count}</source>
        <translation>Страница {page} из {count}</translation>
    </message>
</context>
<context>
    <name>VideoPage</name>
    <message>
        <source>Video quality</source>
        <translation>Качество видео</translation>
    </message>
    <message>
        <source>360p</source>
        <translation>360p</translation>
    </message>
    <message>
        <source>For a slow or metered connection, or an old computer.</source>
        <translation>Для медленного или лимитного интернета и старого компьютера.</translation>
    </message>
    <message>
        <source>720p (recommended)</source>
        <translation>720p (рекомендуется)</translation>
    </message>
    <message>
        <source>Sharp enough for faces, light on most connections.</source>
        <translation>Лица видны чётко, а нагрузка на сеть невелика.</translation>
    </message>
    <message>
        <source>1080p</source>
        <translation>1080p</translation>
    </message>
    <message>
        <source>The sharpest picture: needs a fast upload and a strong computer.</source>
        <translation>Самая чёткая картинка: нужны быстрая отдача и мощный компьютер.</translation>
    </message>
    <message>
        <source>The picture you send; what you receive is up to the others.</source>
        <translation>Это качество видео, которое отправляете вы; качество входящего видео зависит от собеседников.</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <source>Connection: good</source>
        <translation>Связь: хорошая</translation>
    </message>
    <message>
        <source>Connection: fair</source>
        <translation>Связь: средняя</translation>
    </message>
    <message>
        <source>Connection: poor</source>
        <translation>Связь: плохая</translation>
    </message>
</context>
<context>
    <name>VolumeControl</name>
    <message>
        <source>Volume</source>
        <translation>Громкость</translation>
    </message>
    <message>
        <source>{percent}%</source>
        <translation>{percent} %</translation>
    </message>
</context>
</TS>
