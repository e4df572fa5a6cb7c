<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>CalendarTexts</name>
    <message numerus="yes">
        <source>+%n more</source>
        <translation>
            <numerusform>+%n more</numerusform>
            <numerusform>+%n more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n meeting(s)</source>
        <translation>
            <numerusform>%n meeting</numerusform>
            <numerusform>%n meetings</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>In %n min, {time}</source>
        <translation>
            <numerusform>In %n min, {time}</numerusform>
            <numerusform>In %n min, {time}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Awaiting your answer: %n</source>
        <translation>
            <numerusform>Awaiting your answer: %n</numerusform>
            <numerusform>Awaiting your answer: %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ControlBar</name>
    <message numerus="yes">
        <source>%n participant(s) in the call</source>
        <translation>
            <numerusform>%n participant in the call</numerusform>
            <numerusform>%n participants in the call</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Chat: %n unread message(s)</source>
        <translation>
            <numerusform>Chat: %n unread message</numerusform>
            <numerusform>Chat: %n unread messages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>People: %n waiting to join</source>
        <translation>
            <numerusform>People: %n waiting to join</numerusform>
            <numerusform>People: %n waiting to join</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GeneralPage</name>
    <message numerus="yes">
        <source>%n minutes before</source>
        <translation>
            <numerusform>%n minute before</numerusform>
            <numerusform>%n minutes before</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message numerus="yes">
        <source>%n meeting(s)</source>
        <translation>
            <numerusform>%n meeting</numerusform>
            <numerusform>%n meetings</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n minute</numerusform>
            <numerusform>%n minutes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n in your rooms</source>
        <translation>
            <numerusform>%n in your rooms</numerusform>
            <numerusform>%n in your rooms</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n person(s)</source>
        <translation>
            <numerusform>%n person</numerusform>
            <numerusform>%n people</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>At most %n at once</source>
        <translation>
            <numerusform>At most %n at once</numerusform>
            <numerusform>At most %n at once</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n second</numerusform>
            <numerusform>%n seconds</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MeetingReminders</name>
    <message numerus="yes">
        <source>{title} starts in %n minutes</source>
        <translation>
            <numerusform>{title} starts in %n minute</numerusform>
            <numerusform>{title} starts in %n minutes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessagePlurals</name>
    <message numerus="yes">
        <source>Too many attempts: try again in %n second(s)</source>
        <translation>
            <numerusform>Too many attempts: try again in %n second</numerusform>
            <numerusform>Too many attempts: try again in %n seconds</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message numerus="yes">
        <source>%n new messages in the chat</source>
        <translation>
            <numerusform>%n new message in the chat</numerusform>
            <numerusform>%n new messages in the chat</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n people joined the call</source>
        <translation>
            <numerusform>%n person joined the call</numerusform>
            <numerusform>%n people joined the call</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PreJoinView</name>
    <message numerus="yes">
        <source>%n participant(s) in the call · {room}</source>
        <translation>
            <numerusform>%n participant in the call · {room}</numerusform>
            <numerusform>%n participants in the call · {room}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecordingBar</name>
    <message numerus="yes">
        <source>{name} and %n other(s) are recording</source>
        <translation>
            <numerusform>{name} and %n other are recording</numerusform>
            <numerusform>{name} and %n others are recording</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecordingsView</name>
    <message numerus="yes">
        <source>%n recording(s)</source>
        <translation>
            <numerusform>%n recording</numerusform>
            <numerusform>%n recordings</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ScheduleDialog</name>
    <message numerus="yes">
        <source>time(s)</source>
        <translation>
            <numerusform>time</numerusform>
            <numerusform>times</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message numerus="yes">
        <source>{room} · %n in the call · {duration}</source>
        <translation>
            <numerusform>{room} · %n in the call · {duration}</numerusform>
            <numerusform>{room} · %n in the call · {duration}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>UsageChart</name>
    <message numerus="yes">
        <source>%n minute(s) in the last 30 days</source>
        <translation>
            <numerusform>%n minute in the last 30 days</numerusform>
            <numerusform>%n minutes in the last 30 days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n meeting(s)</source>
        <translation>
            <numerusform>%n meeting</numerusform>
            <numerusform>%n meetings</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n minute</numerusform>
            <numerusform>%n minutes</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ValidationPlurals</name>
    <message numerus="yes">
        <source>At least %n character(s)</source>
        <translation>
            <numerusform>At least %n character</numerusform>
            <numerusform>At least %n characters</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>At most %n character(s)</source>
        <translation>
            <numerusform>At most %n character</numerusform>
            <numerusform>At most %n characters</numerusform>
        </translation>
    </message>
</context>
</TS>
